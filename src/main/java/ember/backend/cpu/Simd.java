package ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width every SIMD loop of the CPU backend uses: the machine's widest, or the one
 * named by {@code -Dember.vectorBits=128|256|512}, so the kernels' tails and paddings can be
 * tested at widths this machine does not have (slowly: the JIT emulates them).
 */
final class Simd {
    private Simd() {}

    static final VectorSpecies<Float> FLOATS = species(System.getProperty("ember.vectorBits"));

    private static VectorSpecies<Float> species(String bits) {
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits.strip()) {
            case "128", "256", "512" -> FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Integer.parseInt(bits.strip())));
            default -> throw new IllegalArgumentException("-Dember.vectorBits=" + bits + ": expected 128, 256 or 512");
        };
    }
}
