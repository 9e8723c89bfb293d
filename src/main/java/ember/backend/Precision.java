package ember.backend;

import java.util.Locale;

/**
 * How a GPU backend may compute float32 convolutions. TF32 is PyTorch's default for them
 * (torch.backends.cudnn.allow_tf32): tensor cores on Ampere and later, with inputs rounded to a
 * 10-bit mantissa and float32 sums. FP32 keeps every product in float32. The CPU and OpenCL
 * backends always compute in float32; GEMMs (the MLP, the ResNet's last layer) are always float32,
 * as PyTorch's matmul default is.
 */
public enum Precision {
    TF32, FP32;

    /** As on the command line: tf32, fp32. */
    public String flag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
