package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The pom runs the CPU parity cases again with -Dember.vectorBits; this checks the width took. */
class SimdTest {
    @Test
    void usesTheWidthAskedForOrTheMachinesWidest() {
        String asked = System.getProperty("ember.vectorBits");
        int expected = asked == null ? FloatVector.SPECIES_PREFERRED.vectorBitSize() : Integer.parseInt(asked);
        assertEquals(expected, Simd.FLOATS.vectorBitSize());
    }
}
