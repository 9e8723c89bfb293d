package ember.backend.cpu;

import ember.backend.ConvShape;
import java.util.Arrays;

/**
 * Unfolds one image into the patch matrix a convolution multiplies by its weights, and folds
 * it back. col has patchSize rows (input channel, kernel row, kernel column) and
 * outHeight·outWidth columns, one per output pixel in the order the output is stored
 * ({@link PhasePlanes}), so the product is the output as stored; padding reads as zero. Which
 * stored input value each entry reads comes from a table made once per shape.
 */
final class Im2col {
    private Im2col() {}

    /**
     * For kernel offset t = ky·k + kx and output column j: where in its plane the input pixel
     * read is stored, or −1 where it falls in the padding; entry t·cols + j.
     */
    static int[] sources(ConvShape s) {
        int k = s.kernel(), outH = s.outHeight(), outW = s.outWidth(), cols = outH * outW;
        int[] sources = new int[k * k * cols];
        for (int oy = 0; oy < outH; oy++) {
            for (int ox = 0; ox < outW; ox++) {
                int j = PhasePlanes.position(oy, ox, outH, outW);
                for (int ky = 0; ky < k; ky++) {
                    for (int kx = 0; kx < k; kx++) {
                        int iy = oy * s.stride() - s.padding() + ky, ix = ox * s.stride() - s.padding() + kx;
                        boolean inside = iy >= 0 && iy < s.height() && ix >= 0 && ix < s.width();
                        sources[(ky * k + kx) * cols + j] = inside ? PhasePlanes.position(iy, ix, s.height(), s.width()) : -1;
                    }
                }
            }
        }
        return sources;
    }

    /** col[(c·k² + t), j] = the input value of channel c that {@code sources} names, or 0. */
    static void unfold(ConvShape s, int[] sources, float[] x, int xOff, float[] col) {
        int taps = s.kernel() * s.kernel(), cols = s.outHeight() * s.outWidth(), plane = s.height() * s.width();
        for (int c = 0; c < s.inChannels(); c++) {
            int from = xOff + c * plane;
            for (int t = 0; t < taps; t++) {
                int row = (c * taps + t) * cols, table = t * cols;
                for (int j = 0; j < cols; j++) {
                    int at = sources[table + j];
                    col[row + j] = at < 0 ? 0f : x[from + at];
                }
            }
        }
    }

    /** The reverse of {@link #unfold}: each input value = Σ of the col entries that read it (x overwritten). */
    static void fold(ConvShape s, int[] sources, float[] col, float[] x, int xOff) {
        int taps = s.kernel() * s.kernel(), cols = s.outHeight() * s.outWidth(), plane = s.height() * s.width();
        Arrays.fill(x, xOff, xOff + s.inChannels() * plane, 0f);
        for (int c = 0; c < s.inChannels(); c++) {
            int to = xOff + c * plane;
            for (int t = 0; t < taps; t++) {
                int row = (c * taps + t) * cols, table = t * cols;
                for (int j = 0; j < cols; j++) {
                    int at = sources[table + j];
                    if (at >= 0) {
                        x[to + at] += col[row + j];
                    }
                }
            }
        }
    }
}
