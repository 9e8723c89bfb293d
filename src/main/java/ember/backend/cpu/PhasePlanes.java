package ember.backend.cpu;

/**
 * The CPU backend's pixel order for activation planes whose sides are multiples of 4: each
 * height × width plane is stored as its 16 phase planes (row mod 4, column mod 4), one after
 * another, each (height/4) × (width/4) in row order. Winograd F(4×4, 3×3) works on exactly
 * these phases, so a convolution then moves rows of pixels with plain copies instead of
 * splitting and zipping every row with lane shuffles. Batch norm, ReLU, adds and pooling treat
 * a plane as a set of values and do not care. Planes of other sizes stay in row order.
 */
final class PhasePlanes {
    private PhasePlanes() {}

    static final int PHASES = 4;

    /** Whether planes of this size are stored by phase. */
    static boolean applies(int height, int width) {
        return height % PHASES == 0 && width % PHASES == 0;
    }

    /** Where pixel (y, x) of a height × width plane is stored, relative to the plane's start. */
    static int position(int y, int x, int height, int width) {
        if (!applies(height, width)) {
            return y * width + x;
        }
        int rows = height / PHASES, columns = width / PHASES;
        return ((y % PHASES) * PHASES + x % PHASES) * rows * columns + (y / PHASES) * columns + x / PHASES;
    }

    /** Copies planes of row-ordered pixels from src into dst in storage order (the same order for other sizes). */
    static void store(float[] src, int srcOff, float[] dst, int dstOff, int planes, int height, int width) {
        permute(src, srcOff, dst, dstOff, planes, height, width, true);
    }

    /** Copies planes in storage order from src into dst in row order. */
    static void load(float[] src, int srcOff, float[] dst, int dstOff, int planes, int height, int width) {
        permute(src, srcOff, dst, dstOff, planes, height, width, false);
    }

    private static void permute(float[] src, int srcOff, float[] dst, int dstOff, int planes, int height, int width,
                                boolean toStorage) {
        if (!applies(height, width)) {
            System.arraycopy(src, srcOff, dst, dstOff, planes * height * width);
            return;
        }
        int plane = height * width, rows = height / PHASES, columns = width / PHASES;
        for (int p = 0; p < planes; p++) {
            int stored = p * plane;
            for (int r = 0; r < PHASES; r++) {
                for (int s = 0; s < PHASES; s++) {
                    for (int i = 0; i < rows; i++) {
                        int rowOrder = p * plane + (PHASES * i + r) * width + s;
                        for (int j = 0; j < columns; j++, stored++, rowOrder += PHASES) {
                            if (toStorage) {
                                dst[dstOff + stored] = src[srcOff + rowOrder];
                            } else {
                                dst[dstOff + rowOrder] = src[srcOff + stored];
                            }
                        }
                    }
                }
            }
        }
    }
}
