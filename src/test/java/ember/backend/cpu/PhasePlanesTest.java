package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.backend.Buffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The CPU backend's pixel order: planes with sides that are multiples of 4 are stored by phase. */
class PhasePlanesTest {

    @Test
    void activationsComeBackInRowOrder() {
        SplittableRandom random = new SplittableRandom(7);
        for (int[] hw : new int[][] {{8, 12}, {32, 32}, {4, 4}, {5, 7}, {6, 8}}) {
            int height = hw[0], width = hw[1], n = 6 * height * width;
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) random.nextDouble();
            }
            try (CpuBackend backend = CpuBackend.javaOnly(2); Buffer b = backend.allocate(n)) {
                backend.writeActivations(b, x, height, width);
                float[] back = new float[n];
                backend.readActivations(b, back, height, width);
                assertArrayEquals(x, back, height + "x" + width);
            }
        }
    }

    @Test
    void aPixelIsStoredInItsPhasePlane() {
        int height = 8, width = 12, plane = height * width;
        float[] x = new float[2 * plane];
        x[plane + 5 * width + 6] = 1f; // plane 1, pixel (5, 6): phase (1, 2), row 1, column 1 of 2 × 3
        try (CpuBackend backend = CpuBackend.javaOnly(1); Buffer b = backend.allocate(x.length)) {
            backend.writeActivations(b, x, height, width);
            float[] stored = new float[x.length];
            backend.read(b, stored);
            assertEquals(1f, stored[plane + (1 * 4 + 2) * 6 + 1 * 3 + 1]);
            assertEquals(1f, java.util.stream.IntStream.range(0, x.length).mapToDouble(i -> stored[i]).sum());
        }
    }

    @Test
    void otherPlanesStayInRowOrder() {
        assertEquals(3 * 7 + 2, PhasePlanes.position(3, 2, 5, 7));
        assertTrue(PhasePlanes.applies(16, 8));
        assertEquals(false, PhasePlanes.applies(6, 8));
    }

    @Test
    void aBufferOfPartPlanesIsAnError() {
        try (CpuBackend backend = CpuBackend.javaOnly(1); Buffer b = backend.allocate(20)) {
            var e = assertThrows(IllegalArgumentException.class, () -> backend.writeActivations(b, new float[20], 4, 4));
            assertTrue(e.getMessage().contains("4x4"), e.getMessage());
        }
    }
}
