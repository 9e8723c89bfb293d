package ember.nn;

import ember.backend.Backend;
import ember.backend.BatchNormTensors;
import ember.backend.Buffer;
import ember.backend.ChannelShape;
import java.util.List;

/**
 * Batch normalisation over NCHW batches, as torch.nn.BatchNorm2d (momentum 0.1, eps 1e-5):
 * batch statistics in training, running statistics in evaluation. Its running mean and
 * variance are state, not parameters; they live in the model's state tensors. It holds the
 * tensors; the layers it is part of call it, or hand {@link #tensors()} to a fused op.
 */
public final class BatchNorm2d implements AutoCloseable {
    public static final float MOMENTUM = 0.1f;
    public static final float EPS = 1e-5f;

    private final Backend backend;
    private final int channels;
    private final int pixels;
    private final Parameters.Param gamma;
    private final Parameters.Param beta;
    private final Buffer savedMean;
    private final Buffer savedInvStd;
    private final BatchNormTensors tensors;

    public BatchNorm2d(Backend backend, int channels, int pixels, Parameters params, NamedTensors state, String prefix) {
        this.backend = backend;
        this.channels = channels;
        this.pixels = pixels;
        this.gamma = params.get(prefix + ".weight");
        this.beta = params.get(prefix + ".bias");
        this.savedMean = backend.allocate(channels);
        this.savedInvStd = backend.allocate(channels);
        this.tensors = new BatchNormTensors(gamma.value(), beta.value(), gamma.grad(), beta.grad(),
                state.get(prefix + ".running_mean"), state.get(prefix + ".running_var"), savedMean, savedInvStd,
                MOMENTUM, EPS);
    }

    /** Trainable: weight (gamma) and bias (beta), as PyTorch names them. */
    public static List<ParamSpec> paramSpecs(String prefix, int channels) {
        return List.of(new ParamSpec(prefix + ".weight", channels), new ParamSpec(prefix + ".bias", channels));
    }

    /** State: the running statistics. */
    public static List<ParamSpec> stateSpecs(String prefix, int channels) {
        return List.of(new ParamSpec(prefix + ".running_mean", channels), new ParamSpec(prefix + ".running_var", channels));
    }

    /** Every tensor of this batch norm, for an op that takes them together. */
    public BatchNormTensors tensors() {
        return tensors;
    }

    /** PyTorch's initial values: gamma 1, beta 0, running mean 0, running variance 1. */
    public void initialize() {
        backend.fill(gamma.value(), 1f);
        backend.fill(beta.value(), 0f);
        backend.fill(tensors.runningMean(), 0f);
        backend.fill(tensors.runningVar(), 1f);
    }

    private ChannelShape shape(int batch) {
        return new ChannelShape(batch, channels, pixels);
    }

    /**
     * y = BN(x); in training also updates the running statistics and saves what backward needs.
     * stats, when not null, are what the convolution that wrote x left for it ({@link
     * Backend#conv2d(ember.backend.ConvShape, Buffer, Buffer, Buffer, Buffer)}).
     */
    public void forward(Buffer x, Buffer stats, Buffer y, int batch, boolean training) {
        if (training) {
            backend.batchNormTraining(shape(batch), x, stats, gamma.value(), beta.value(), y, tensors.runningMean(),
                    tensors.runningVar(), savedMean, savedInvStd, MOMENTUM, EPS);
        } else {
            backend.batchNormInference(shape(batch), x, gamma.value(), beta.value(), y, tensors.runningMean(),
                    tensors.runningVar(), EPS);
        }
    }

    /**
     * y = max(BN(x) + residual, 0), or max(BN(x), 0) when residual is null: the normalisation
     * with the ReLU (and residual add) after it, fused where the backend can; stats as in
     * {@link #forward}.
     */
    public void forwardRelu(Buffer x, Buffer stats, Buffer residual, Buffer y, int batch, boolean training) {
        if (training) {
            backend.batchNormReluTraining(shape(batch), x, stats, gamma.value(), beta.value(), residual, y,
                    tensors.runningMean(), tensors.runningVar(), savedMean, savedInvStd, MOMENTUM, EPS);
            return;
        }
        backend.batchNormInference(shape(batch), x, gamma.value(), beta.value(), y, tensors.runningMean(),
                tensors.runningVar(), EPS);
        if (residual != null) {
            backend.add(y, residual, y);
        }
        backend.relu(y, y);
    }

    /**
     * Backward of the last training {@link #forwardRelu} without a residual, whose output was y:
     * overwrites dx, may overwrite dy, adds into the gamma and beta gradients.
     */
    public void backwardRelu(Buffer x, Buffer y, Buffer dy, Buffer dx, int batch) {
        backend.batchNormReluBackward(shape(batch), x, y, dy, gamma.value(), beta.value(), savedMean, savedInvStd, dx,
                gamma.grad(), beta.grad());
    }

    /** Backward of the last training forward: overwrites dx, adds into the gamma and beta gradients. */
    public void backward(Buffer x, Buffer dy, Buffer dx, int batch) {
        backend.batchNormBackward(shape(batch), x, dy, gamma.value(), savedMean, savedInvStd, dx, gamma.grad(), beta.grad());
    }

    @Override
    public void close() {
        savedMean.close();
        savedInvStd.close();
    }
}
