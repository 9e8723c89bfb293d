package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The direct 3×3 path's plan against the pixel positions it stands for, at the machine's vector width. */
class DirectConv3x3Test {

    /**
     * Every tap of every output pixel, read where the plan says in the padded copy of an image
     * whose pixels are numbered, is the input pixel the tap stands for, or zero outside the image
     * (phase planes of 16 to 64 values: whole vectors at every width).
     */
    @Test
    void everyTapReadsItsInputPixelOrZeroPastTheEdge() {
        for (int[] hw : new int[][] {{32, 32}, {16, 64}, {16, 16}, {32, 16}}) {
            int height = hw[0], width = hw[1], channels = 2, plane = height * width;
            DirectConv3x3.Plan plan = DirectConv3x3.Plan.of(height, width);
            float[] x = new float[3 + channels * plane];
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < height; y++) {
                    for (int col = 0; col < width; col++) {
                        x[3 + c * plane + PhasePlanes.position(y, col, height, width)] = pixel(c, y, col);
                    }
                }
            }
            float[] padded = new float[5 + channels * plan.paddedChannel()];
            Arrays.fill(padded, Float.NaN);
            DirectConv3x3.pad(plan, channels, x, 3, null, padded, 5);
            int columns = width / 4;
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < height; y++) {
                    for (int col = 0; col < width; col++) {
                        int phase = (y % 4) * 4 + col % 4, q = (y / 4) * columns + col / 4;
                        for (int tap = 0; tap < 9; tap++) {
                            int iy = y + tap / 3 - 1, ix = col + tap % 3 - 1;
                            boolean inside = iy >= 0 && iy < height && ix >= 0 && ix < width;
                            float read = padded[5 + c * plan.paddedChannel() + plan.tapOffsets()[phase * 9 + tap] + q];
                            assertEquals(inside ? pixel(c, iy, ix) : 0f, read, height + "x" + width + " channel " + c
                                    + ", output (" + y + ", " + col + "), tap " + tap);
                        }
                    }
                }
            }
        }
    }

    @Test
    void itTakesFewInputChannelsAndWholeTilesOnly() {
        assertTrue(DirectConv3x3.fits(3, 16, 32, 32), "the stem");
        assertFalse(DirectConv3x3.fits(16, 16, 32, 32), "16 input channels: Winograd");
        assertFalse(DirectConv3x3.fits(3, 6, 32, 32), "output channels not in fours");
        assertFalse(DirectConv3x3.fits(3, 16, 30, 30), "not stored by phase");
        assertFalse(DirectConv3x3.fits(3, 16, 4, 4), "a phase plane of one value is less than the tile's vectors");
    }

    private static float pixel(int c, int y, int x) {
        return 100_000 * (c + 1) + 1000 * y + x + 1;
    }
}
