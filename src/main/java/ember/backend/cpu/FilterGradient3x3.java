package ember.backend.cpu;

import java.util.Arrays;

/**
 * The weight gradient of a 3×3, stride 1, pad 1 convolution of one NCHW image as nine GEMMs
 * and no im2col. The input is copied once into zero-bordered planes with row pitch width+2; in
 * that layout the input seen through each tap is the same planes shifted, a strided matrix
 * that BLAS reads in place.
 */
final class FilterGradient3x3 {
    private FilterGradient3x3() {}

    /** Spare floats after the padded planes so the shifted views of the last tap stay inside. */
    private static final int SLACK = 64;

    static int pitch(int width) {
        return width + 2;
    }

    /** Floats of the zero-bordered copy of one image. */
    static int paddedSize(int channels, int height, int width) {
        return channels * (height + 2) * pitch(width) + SLACK;
    }

    /** Zeroes a padded scratch once; per-image copies then only rewrite the interior. */
    static void clearPadded(float[] padded, int channels, int height, int width) {
        Arrays.fill(padded, 0, paddedSize(channels, height, width), 0f);
    }

    /** Floats of one image's output gradient laid out at padded pitch. */
    static int pitchedSize(int channels, int height, int width) {
        return channels * height * pitch(width);
    }

    /**
     * The weight gradient of one image: in the zero-bordered
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
