package ember.backend.cpu;

import ember.backend.ConvShape;
import java.util.Arrays;

/**
 * Unfolds one image into the patch matrix a convolution multiplies by its weights, and folds
 * it back. col has patchSize rows (input channel, kernel row, kernel column) and
 * outHeight·outWidth columns; padding reads as zero.
 */
final class Im2col {
    private Im2col() {}

    /** col[(c·k + ky)·k + kx, oy·outW + ox] = x[c, oy·stride − pad + ky, ox·stride − pad + kx]. */
    static void unfold(ConvShape s, float[] x, int xOff, float[] col) {
        int k = s.kernel(), outH = s.outHeight(), outW = s.outWidth(), cols = outH * outW;
        for (int c = 0; c < s.inChannels(); c++) {
            int plane = xOff + c * s.height() * s.width();
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    int row = ((c * k + ky) * k + kx) * cols;
                    int oxFrom = firstInside(kx, s.padding(), s.stride());
                    int oxTo = Math.min(outW, lastInside(kx, s.padding(), s.stride(), s.width()) + 1);
                    for (int oy = 0; oy < outH; oy++) {
                        int iy = oy * s.stride() - s.padding() + ky;
                        int dst = row + oy * outW;
                        if (iy < 0 || iy >= s.height() || oxFrom >= oxTo) {
                            Arrays.fill(col, dst, dst + outW, 0f);
                            continue;
                        }
                        // The borders are a column or two: plain stores, as a fill call per row costs more.
                        for (int ox = 0; ox < oxFrom; ox++) {
                            col[dst + ox] = 0f;
                        }
                        int src = plane + iy * s.width() + oxFrom * s.stride() - s.padding() + kx;
                        if (s.stride() == 1) {
                            System.arraycopy(x, src, col, dst + oxFrom, oxTo - oxFrom);
                        } else {
                            for (int ox = oxFrom; ox < oxTo; ox++, src += s.stride()) {
                                col[dst + ox] = x[src];
                            }
                        }
                        for (int ox = oxTo; ox < outW; ox++) {
                            col[dst + ox] = 0f;
                        }
                    }
                }
            }
        }
    }

    /** The reverse of {@link #unfold}: x[c, iy, ix] = Σ of the col entries that read it (x overwritten). */
    static void fold(ConvShape s, float[] col, float[] x, int xOff) {
        int k = s.kernel(), outH = s.outHeight(), outW = s.outWidth(), cols = outH * outW;
        Arrays.fill(x, xOff, xOff + s.inChannels() * s.height() * s.width(), 0f);
        for (int c = 0; c < s.inChannels(); c++) {
            int plane = xOff + c * s.height() * s.width();
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    int row = ((c * k + ky) * k + kx) * cols;
                    int oxFrom = firstInside(kx, s.padding(), s.stride());
                    int oxTo = Math.min(outW, lastInside(kx, s.padding(), s.stride(), s.width()) + 1);
                    for (int oy = 0; oy < outH; oy++) {
                        int iy = oy * s.stride() - s.padding() + ky;
                        if (iy < 0 || iy >= s.height()) {
                            continue;
                        }
                        int src = row + oy * outW;
                        int dst = plane + iy * s.width() + oxFrom * s.stride() - s.padding() + kx;
                        for (int ox = oxFrom; ox < oxTo; ox++, dst += s.stride()) {
                            x[dst] += col[src + ox];
                        }
                    }
                }
            }
        }
    }

    /** Smallest ox with ox·stride − pad + kx ≥ 0. */
    private static int firstInside(int kx, int pad, int stride) {
        int need = pad - kx;
        return need <= 0 ? 0 : (need + stride - 1) / stride;
    }

    /** Largest ox with ox·stride − pad + kx < width. */
    private static int lastInside(int kx, int pad, int stride, int width) {
        return Math.floorDiv(width - 1 + pad - kx, stride);
    }
}
