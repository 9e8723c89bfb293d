package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The stride-2 phase planes against the pixel positions they stand for, at the machine's vector width. */
class StrideTwoPhasesTest {

    @Test
    void splitPutsEachPixelInItsPhasePlaneAndMergeBringsItBack() {
        for (int[] hw : new int[][] {{32, 32}, {16, 16}, {8, 8}, {8, 16}}) {
            int height = hw[0], width = hw[1], plane = height * width, border = 1, pitch = border + width / 2 + 1;
            int planeSize = (border + height / 2 + 1) * pitch;
            assertTrue(StrideTwoPhases.applies(height, width), height + "x" + width);
            float[] stored = new float[plane];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    stored[PhasePlanes.position(y, x, height, width)] = 1000 * y + x + 1;
                }
            }
            float[] planes = new float[4 * planeSize + 3];
            StrideTwoPhases.split(stored, 0, height, width, planes, 3, planeSize, pitch, border);
            int written = 0;
            for (int i = 3; i < planes.length; i++) {
                written += planes[i] != 0 ? 1 : 0;
            }
            assertEquals(plane, written, "values written outside the interiors, " + height + "x" + width);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int at = 3 + (2 * (y % 2) + x % 2) * planeSize + (border + y / 2) * pitch + border + x / 2;
                    assertEquals(1000 * y + x + 1, planes[at], "pixel (" + y + ", " + x + ") of " + height + "x" + width);
                }
            }
            float[] back = new float[plane + 5];
            StrideTwoPhases.merge(planes, 3, planeSize, pitch, border, height, width, back, 5);
            assertArrayEquals(stored, Arrays.copyOfRange(back, 5, back.length), height + "x" + width);
        }
    }
}
