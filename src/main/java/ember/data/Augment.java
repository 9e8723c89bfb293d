package ember.data;

import java.util.Arrays;

/**
 * The reference's host-side augmentation and normalisation, from uint8 CHW images to float
 * CHW: zero-pad by 4, take a random 32×32 crop of the 40×40 result, flip it left-right with
 * probability ½, then map each byte v of channel c to {@code (v / 255 − MEAN[c]) / STD[c]},
 * computed in float exactly as PyTorch does it (so a padded zero becomes −MEAN[c] / STD[c]).
 *
 * <p>The random choices are a pure function of (seed, epoch, position in the epoch), so an
 * epoch's batches do not depend on which thread prepares which image or in what order.
 */
public final class Augment {
    /** Zero padding on every side before the crop. */
    public static final int PAD = 4;
    /** Crop offsets per axis: 0 .. 2·PAD in the padded image. */
    public static final int OFFSETS = 2 * PAD + 1;

    private static final int PLANE = Cifar10.HEIGHT * Cifar10.WIDTH;
    /** normalised value of byte v in channel c at [c * 256 + v]. */
    private static final float[] TABLE = new float[Cifar10.CHANNELS * 256];

    static {
        for (int c = 0; c < Cifar10.CHANNELS; c++) {
            for (int v = 0; v < 256; v++) {
                TABLE[c * 256 + v] = ((float) v / 255f - Cifar10.MEAN[c]) / Cifar10.STD[c];
            }
        }
    }

    private Augment() {}

    /**
     * One image's random choices.
     *
     * @param dx   crop column offset in the padded image, 0..8 (4 = centred)
     * @param dy   crop row offset in the padded image, 0..8
     * @param flip mirror left-right after the crop
     */
    public record Params(int dx, int dy, boolean flip) {
        /** No change: the centred crop, not flipped. */
        public static final Params IDENTITY = new Params(PAD, PAD, false);

        public Params {
            if (dx < 0 || dx >= OFFSETS || dy < 0 || dy >= OFFSETS) {
                throw new IllegalArgumentException("crop offsets must be in 0.." + (OFFSETS - 1) + ": " + dx + ", " + dy);
            }
        }
    }

    /**
     * The random choices for the image at {@code position} (0-based, in the epoch's shuffled
     * order) of {@code epoch}: offsets uniform in 0..8, flip with probability ½.
     */
    public static Params draw(long seed, int epoch, long position) {
        long h = mix(mix(mix(seed) + epoch) + position);
        int dx = (int) (((h >>> 40) * OFFSETS) >>> 24);             // top 24 bits scaled to 0..8
        int dy = (int) ((((h >>> 16) & 0xFFFFFF) * OFFSETS) >>> 24); // next 24 bits
        return new Params(dx, dy, (h & 1) != 0);
    }

    /** SplitMix64's finaliser with its increment: a good 64-bit hash, and a bijection. */
    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The normalised float for byte {@code value} (0..255) of channel {@code channel}. */
    public static float normalized(int channel, int value) {
        return TABLE[channel * 256 + value];
    }

    /**
     * Normalises image {@code image} of {@code pixels} (uint8 CHW, 3072 bytes per image) into
     * {@code out[outOffset .. outOffset + 3072)}; no augmentation (the test set).
     */
    public static void normalize(byte[] pixels, int image, float[] out, int outOffset) {
        int src = image * Cifar10.IMAGE_BYTES;
        for (int c = 0; c < Cifar10.CHANNELS; c++) {
            int table = c * 256;
            for (int p = c * PLANE, end = p + PLANE; p < end; p++) {
                out[outOffset + p] = TABLE[table + (pixels[src + p] & 0xFF)];
            }
        }
    }

    /**
     * Pads, crops, flips and normalises image {@code image} of {@code pixels} into
     * {@code out[outOffset .. outOffset + 3072)}: output pixel (c, y, x) is source pixel
     * (c, y + dy − 4, x' + dx − 4) with x' = 31 − x when flipped, else x; outside the source it
     * is a padded zero.
     */
    public static void cropFlipNormalize(byte[] pixels, int image, Params p, float[] out, int outOffset) {
        int src = image * Cifar10.IMAGE_BYTES;
        int shiftX = p.dx() - PAD, shiftY = p.dy() - PAD;
        for (int c = 0; c < Cifar10.CHANNELS; c++) {
            int table = c * 256;
            float zero = TABLE[table];
            for (int y = 0; y < Cifar10.HEIGHT; y++) {
                int o = outOffset + c * PLANE + y * Cifar10.WIDTH;
                int sy = y + shiftY;
                if (sy < 0 || sy >= Cifar10.HEIGHT) {
                    Arrays.fill(out, o, o + Cifar10.WIDTH, zero);
                    continue;
                }
                int row = src + c * PLANE + sy * Cifar10.WIDTH;
                for (int x = 0; x < Cifar10.WIDTH; x++) {
                    int sx = (p.flip() ? Cifar10.WIDTH - 1 - x : x) + shiftX;
                    out[o + x] = sx >= 0 && sx < Cifar10.WIDTH ? TABLE[table + (pixels[row + sx] & 0xFF)] : zero;
                }
            }
        }
    }
}
