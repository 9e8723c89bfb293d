package ember.backend.cpu;

import ember.backend.ConvShape;
import java.util.Arrays;

/**
 * The patch matrix of a 1×1 convolution without padding (ResNet's stride-2 shortcuts): its
 * rows are the input channels sampled at the output pixels, its columns the output pixels in
 * the output's storage order ({@link PhasePlanes}). So the GEMM's output rows are the output
 * planes as stored, copied out whole, and only the input side moves values one by one: at
 * stride 2 it reads a quarter of each input plane, and the gradient's fold zeroes the rest.
 */
final class Pointwise implements Unfolding {
    private final int inChannels, inPlane, outPlane, group;
    /** Per output pixel, in storage order: the stored input index it reads. */
    private final int[] source;

    Pointwise(ConvShape s) {
        if (s.kernel() != 1 || s.padding() != 0) {
            throw new IllegalArgumentException("Pointwise takes 1×1 convolutions without padding, not " + s);
        }
        inChannels = s.inChannels();
        inPlane = s.height() * s.width();
        outPlane = s.outHeight() * s.outWidth();
        group = Unfolding.group((inChannels + s.outChannels()) * outPlane, GROUP_FLOATS);
        source = new int[outPlane];
        for (int oy = 0; oy < s.outHeight(); oy++) {
            for (int ox = 0; ox < s.outWidth(); ox++) {
                source[PhasePlanes.position(oy, ox, s.outHeight(), s.outWidth())] =
                        PhasePlanes.position(s.stride() * oy, s.stride() * ox, s.height(), s.width());
            }
        }
    }

    /**
     * Floats of a group's patch and output rows to aim for. Its GEMM's inner dimension is only
     * the input channels, so what counts is where the rows it writes are copied out from:
     * `ConvBenchmark`'s 16→32 shortcut ran forward and backward in 0.45 / 0.90–1.02 ms with
     * groups of 2 images, 0.60 / 1.22 with 8 (2026-12-07, Intel Xeon VM).
     */
    private static final int GROUP_FLOATS = 1 << 15;

    @Override
    public int columns() {
        return outPlane;
    }

    @Override
    public int group() {
        return group;
    }

    @Override
    public int planesSize() {
        return 0;
    }

    @Override
    public void unfold(float[] x, int xOff, float[] inputAffine, float[] planes, float[] col, int ld, int at) {
        for (int c = 0; c < inChannels; c++) {
            int row = c * ld + at;
            VectorMath.gather(x, xOff + c * inPlane, source, 0, col, row, outPlane);
            if (inputAffine != null) {
                VectorMath.scaleShiftRelu(col, row, null, 0, col, row, outPlane, inputAffine[2 * c],
                        inputAffine[2 * c + 1]);
            }
        }
    }

    @Override
    public void fold(float[] col, int ld, int at, float[] planes, float[] dx, int dxOff) {
        for (int c = 0; c < inChannels; c++) {
            int plane = dxOff + c * inPlane, row = c * ld + at;
            if (outPlane < inPlane) {
                Arrays.fill(dx, plane, plane + inPlane, 0f);
            }
            for (int j = 0; j < outPlane; j++) {
                dx[plane + source[j]] = col[row + j];
            }
        }
    }

    @Override
    public void gatherOutput(float[] flat, int ld, int at, int channels, float[] y, int yOff) {
        for (int o = 0; o < channels; o++) {
            System.arraycopy(flat, o * ld + at, y, yOff + o * outPlane, outPlane);
        }
    }

    @Override
    public void scatterOutput(float[] dy, int dyOff, int channels, float[] flat, int ld, int at) {
        for (int o = 0; o < channels; o++) {
            System.arraycopy(dy, dyOff + o * outPlane, flat, o * ld + at, outPlane);
        }
    }
}
