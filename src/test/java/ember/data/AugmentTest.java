package ember.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AugmentTest {
    /** A recognisable image: value (c, y, x) = (60c + 7y + 3x) mod 256. */
    private static byte[] pattern() {
        byte[] pixels = new byte[Cifar10.IMAGE_BYTES];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    pixels[c * 1024 + y * 32 + x] = (byte) value(c, y, x);
                }
            }
        }
        return pixels;
    }

    private static int value(int c, int y, int x) {
        return (60 * c + 7 * y + 3 * x) % 256;
    }

    private static float at(float[] out, int c, int y, int x) {
        return out[c * 1024 + y * 32 + x];
    }

    @Test
    void normalisationMatchesTheReferenceConstants() {
        // (v / 255 - mean) / std, worked by hand for the extremes of each channel.
        assertEquals(2.0591093, Augment.normalized(0, 255), 1e-6);   // (1 - 0.4914) / 0.2470
        assertEquals(-1.9894737, Augment.normalized(0, 0), 1e-6);    // -0.4914 / 0.2470
        assertEquals(2.1264887, Augment.normalized(1, 255), 1e-6);   // (1 - 0.4822) / 0.2435
        assertEquals(-1.9802875, Augment.normalized(1, 0), 1e-6);    // -0.4822 / 0.2435
        assertEquals(2.1158257, Augment.normalized(2, 255), 1e-6);   // (1 - 0.4465) / 0.2616
        assertEquals(-1.7068043, Augment.normalized(2, 0), 1e-6);    // -0.4465 / 0.2616
        // Computed in float the way PyTorch does: x.float() / 255, then (x - mean) / std.
        assertEquals(((float) 128 / 255f - 0.4822f) / 0.2435f, Augment.normalized(1, 128));

        float[] out = new float[Cifar10.IMAGE_BYTES];
        Augment.normalize(pattern(), 0, out, 0);
        assertEquals(((float) value(2, 5, 9) / 255f - 0.4465f) / 0.2616f, at(out, 2, 5, 9));
    }

    @Test
    void cropWithoutFlipShiftsAndPadsWithNormalisedZero() {
        float[] out = new float[Cifar10.IMAGE_BYTES];
        // dx = 0, dy = 8: output (y, x) shows source (y + 4, x - 4).
        Augment.cropFlipNormalize(pattern(), 0, new Augment.Params(0, 8, false), out, 0);
        assertEquals(Augment.normalized(0, 0), at(out, 0, 0, 0));                  // left padding
        assertEquals(Augment.normalized(0, 0), at(out, 0, 10, 3));
        assertEquals(Augment.normalized(0, value(0, 4, 0)), at(out, 0, 0, 4));
        assertEquals(Augment.normalized(1, value(1, 31, 27)), at(out, 1, 27, 31));
        assertEquals(Augment.normalized(2, 0), at(out, 2, 28, 16));                // bottom padding
    }

    @Test
    void flipMirrorsTheCrop() {
        float[] out = new float[Cifar10.IMAGE_BYTES];
        // dx = 8, dy = 0, flipped: output (y, x) shows source (y - 4, 31 - x + 4).
        Augment.cropFlipNormalize(pattern(), 0, new Augment.Params(8, 0, true), out, 0);
        assertEquals(Augment.normalized(0, 0), at(out, 0, 3, 10));                 // top padding
        assertEquals(Augment.normalized(0, 0), at(out, 0, 4, 0));                  // source x 35: padding
        assertEquals(Augment.normalized(0, value(0, 0, 31)), at(out, 0, 4, 4));
        assertEquals(Augment.normalized(2, value(2, 27, 4)), at(out, 2, 31, 31));
        // The centred crop, flipped, is the image mirrored.
        Augment.cropFlipNormalize(pattern(), 0, new Augment.Params(4, 4, true), out, 0);
        assertEquals(Augment.normalized(1, value(1, 12, 31)), at(out, 1, 12, 0));
    }

    @Test
    void centredUnflippedCropIsPlainNormalisation() {
        byte[] pixels = ImageSet.random("r", 3, 9).pixels();
        float[] a = new float[Cifar10.IMAGE_BYTES], b = new float[Cifar10.IMAGE_BYTES];
        Augment.cropFlipNormalize(pixels, 2, Augment.Params.IDENTITY, a, 0);
        Augment.normalize(pixels, 2, b, 0);
        assertArrayEquals(b, a);
    }

    /** Every offset and flip against the reference written out literally: pad to 40×40, crop, flip. */
    @Test
    void everyCropAndFlipMatchesTheLiteralReference() {
        byte[] pixels = ImageSet.random("r", 2, 5).pixels();
        float[] out = new float[Cifar10.IMAGE_BYTES + 7];
        for (int dy = 0; dy < Augment.OFFSETS; dy++) {
            for (int dx = 0; dx < Augment.OFFSETS; dx++) {
                for (boolean flip : new boolean[] {false, true}) {
                    Augment.cropFlipNormalize(pixels, 1, new Augment.Params(dx, dy, flip), out, 7);
                    int[][][] padded = new int[3][40][40];
                    for (int c = 0; c < 3; c++) {
                        for (int y = 0; y < 32; y++) {
                            for (int x = 0; x < 32; x++) {
                                padded[c][y + 4][x + 4] = pixels[3072 + c * 1024 + y * 32 + x] & 0xFF;
                            }
                        }
                    }
                    for (int c = 0; c < 3; c++) {
                        for (int y = 0; y < 32; y++) {
                            for (int x = 0; x < 32; x++) {
                                int v = padded[c][dy + y][dx + (flip ? 31 - x : x)];
                                assertEquals(Augment.normalized(c, v), out[7 + c * 1024 + y * 32 + x],
                                        "dx " + dx + " dy " + dy + " flip " + flip + " at " + c + "," + y + "," + x);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void drawIsDeterministicAndUniform() {
        // The hash is SplitMix64, which java.util.SplittableRandom computes independently.
        for (long z : new long[] {0, 1, -1, 7, 0x123456789ABCDEFL}) {
            assertEquals(new java.util.SplittableRandom(z).nextLong(), Augment.mix(z), "mix(" + z + ")");
        }
        long h = new java.util.SplittableRandom(new java.util.SplittableRandom(
                new java.util.SplittableRandom(7).nextLong() + 3).nextLong() + 12345).nextLong();
        assertEquals(new Augment.Params((int) ((h >>> 40) * 9 >>> 24), (int) (((h >>> 16) & 0xFFFFFF) * 9 >>> 24),
                (h & 1) != 0), Augment.draw(7, 3, 12345));
        int[] dx = new int[9], dy = new int[9];
        int flips = 0, sameAsOtherEpoch = 0, n = 90_000;
        for (int p = 0; p < n; p++) {
            Augment.Params a = Augment.draw(7, 3, p);
            dx[a.dx()]++;
            dy[a.dy()]++;
            flips += a.flip() ? 1 : 0;
            sameAsOtherEpoch += a.equals(Augment.draw(7, 4, p)) ? 1 : 0;
        }
        for (int i = 0; i < 9; i++) {
            assertTrue(Math.abs(dx[i] - n / 9) < 400, "dx " + i + " drawn " + dx[i] + " times of " + n);
            assertTrue(Math.abs(dy[i] - n / 9) < 400, "dy " + i + " drawn " + dy[i] + " times of " + n);
        }
        assertTrue(Math.abs(flips - n / 2) < 600, "flips " + flips + " of " + n);
        // Another epoch draws independently: a match has probability 1/162.
        assertTrue(sameAsOtherEpoch < 2 * n / 162, "epochs 3 and 4 agree on " + sameAsOtherEpoch + " of " + n);
        int sameAsOtherSeed = 0;
        for (int p = 0; p < 100; p++) {
            sameAsOtherSeed += Augment.draw(7, 3, p).equals(Augment.draw(8, 3, p)) ? 1 : 0;
        }
        assertTrue(sameAsOtherSeed < 10, "seeds 7 and 8 agree on " + sameAsOtherSeed + " of 100");
    }
}
