package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The pom runs the CPU parity cases again with -Dember.vectorBits; this checks the width took. */
class SimdTest {
    @Test
    void usesTheWidthAskedForOrTheMachinesWidest() {
        String asked = System.getProperty("ember.vectorBits");
        int widest = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int expected = asked != null ? Integer.parseInt(asked) : Simd.defaultBits(CpuInfo.text(), widest);
        assertEquals(expected, Simd.FLOATS.vectorBitSize());
    }

    @Test
    void amdTakes256BitsWhereItHasMoreAndOthersTheirWidest() {
        String amd = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n";
        String intel = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n";
        assertEquals(256, Simd.defaultBits(amd, 512));
        assertEquals(256, Simd.defaultBits(amd, 256));
        assertEquals(128, Simd.defaultBits(amd, 128));
        assertEquals(512, Simd.defaultBits(intel, 512));
        assertEquals(512, Simd.defaultBits("", 512)); // no vendor line: the machine's widest
    }

    /**
     * The lanes add up in the documented tree, bit for bit, in every JIT tier: the loop runs
     * long enough to be compiled, and values of mixed magnitudes make any other order round
     * differently (reduceLanes(ADD) fails this in the interpreter, which adds left to right).
     */
    @Test
    void sumLanesAddsInOneFixedTree() {
        SplittableRandom random = new SplittableRandom(11);
        float[] lanes = new float[Simd.FLOATS.length()];
        for (int round = 0; round < 50_000; round++) {
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = (float) ((random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(-3, 4)));
            }
            float expected = tree(lanes);
            float actual = Simd.sumLanes(FloatVector.fromArray(Simd.FLOATS, lanes, 0));
            if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual)) {
                assertEquals(expected, actual, 0f, "round " + round + ": " + java.util.Arrays.toString(lanes));
            }
        }
    }

    /** Lane i plus lane i + n/2 first, then the same on the first half: lane 0 ends with the total. */
    private static float tree(float[] lanes) {
        float[] level = lanes.clone();
        for (int half = level.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                level[i] = level[i] + level[i + half];
            }
        }
        return level[0];
    }
}
