package ember.backend.cpu;

import java.util.Arrays;

/**
 * Direct 3×3, stride 1, pad 1 convolution of one NCHW image, without im2col. The input is
 * copied once into zero-bordered planes with row pitch width+2; in that layout every output
 * (also kept at pitch width+2) is the same 9 shifted reads, so the whole plane is one flat
 * vector loop (see {@link DirectConv3x3Kernel}), and the 2 extra columns per row are dropped.
 * Backward-data is the same convolution of dy with weights transposed and flipped.
 */
final class DirectConv3x3 {
    private DirectConv3x3() {}

    /** Output channels per register tile; the packed weights are grouped by it. */
    static final int TILE = 4;

    /** Spare floats after the padded planes and the accumulator rows so whole vectors can run past the end. */
    private static final int SLACK = 64;

    static int pitch(int width) {
        return width + 2;
    }

    /** Floats of the zero-bordered copy of one image. */
    static int paddedSize(int channels, int height, int width) {
        return channels * (height + 2) * pitch(width) + SLACK;
    }

    /** Floats of the per-image output in padded pitch. */
    static int outputScratchSize(int channels, int height, int width) {
        return channels * (height * pitch(width) + SLACK);
    }

    /**
     * Packs weights so one output-channel tile reads its (input channel, tap, channel-in-tile)
     * weights in order. flip: pack for backward-data, i.e. out and in swap and taps reverse
     * (w'[c][o][8 − t] = w[o][c][t]); then outC/inC are the convolution's as the kernel sees
     * them (outC = the forward's input channels).
     */
    static void packWeights(float[] w, int wOff, int outC, int inC, boolean flip, float[] packed) {
        // Full tiles of TILE channels, then single channels, as the kernel walks them.
        for (int o0 = 0, tile; o0 < outC; o0 += tile) {
            tile = outC - o0 >= TILE ? TILE : 1;
            int base = o0 * inC * 9;
            for (int c = 0; c < inC; c++) {
                for (int t = 0; t < 9; t++) {
                    for (int j = 0; j < tile; j++) {
                        int o = o0 + j;
                        float v = flip ? w[wOff + (c * outC + o) * 9 + 8 - t] : w[wOff + (o * inC + c) * 9 + t];
                        packed[base + (c * 9 + t) * tile + j] = v;
                    }
                }
            }
        }
    }

    /** Zeroes a padded scratch once; per-image copies then only rewrite the interior. */
    static void clearPadded(float[] padded, int channels, int height, int width) {
        Arrays.fill(padded, 0, paddedSize(channels, height, width), 0f);
    }

    /**
     * y[o] = Σ_c w[o][c] ⋆ x[c] for one image. padded must have been cleared by
     * {@link #clearPadded} for this shape (its border is never written), acc is scratch of
     * {@link #outputScratchSize}.
     */
    static void convolve(int inC, int outC, int height, int width, float[] x, int xOff, float[] packed,
                         float[] padded, float[] acc, float[] y, int yOff) {
        int wp = pitch(width), plane = (height + 2) * wp;
        for (int c = 0; c < inC; c++) {
            for (int r = 0; r < height; r++) {
                System.arraycopy(x, xOff + (c * height + r) * width, padded, c * plane + (r + 1) * wp + 1, width);
            }
        }
        int accPlane = height * wp + SLACK;
        DirectConv3x3Kernel.run(inC, outC, height, wp, packed, padded, acc, accPlane);
        for (int o = 0; o < outC; o++) {
            for (int r = 0; r < height; r++) {
                System.arraycopy(acc, o * accPlane + r * wp, y, yOff + (o * height + r) * width, width);
            }
        }
    }

    /** Floats of one image's output gradient laid out at padded pitch. */
    static int pitchedSize(int channels, int height, int width) {
        return channels * height * pitch(width);
    }

    /**
     * The weight gradient of one image, as nine GEMMs and no im2col: in the zero-bordered
     * layout, the input seen through tap (ky, kx) is the padded planes shifted by ky·pitch + kx,
     * a [inC × height·pitch] matrix whose rows are a plane apart, so
     * taps[t][o][c] += Σ_p dy[o][p] · x_t[c][p]. dy is copied at the same pitch; its two extra
     * columns per row must be zero (clear {@code pitched} once per shape) so the columns that
     * wrap around contribute nothing. {@code padded} must have been cleared by {@link #clearPadded}.
     */
    static void filterGradient(int inC, int outC, int height, int width, float[] x, int xOff, float[] dy, int dyOff,
                               float[] padded, float[] pitched, float[] taps, Gemm gemm) {
        int wp = pitch(width), plane = (height + 2) * wp, rows = height * wp;
        for (int c = 0; c < inC; c++) {
            for (int r = 0; r < height; r++) {
                System.arraycopy(x, xOff + (c * height + r) * width, padded, c * plane + (r + 1) * wp + 1, width);
            }
        }
        for (int o = 0; o < outC; o++) {
            for (int r = 0; r < height; r++) {
                System.arraycopy(dy, dyOff + (o * height + r) * width, pitched, o * rows + r * wp, width);
            }
        }
        for (int t = 0; t < 9; t++) {
            gemm.sgemm(false, true, outC, inC, rows, 1f, pitched, 0, rows, padded, (t / 3) * wp + t % 3, plane,
                    1f, taps, t * outC * inC, inC);
        }
    }
}
