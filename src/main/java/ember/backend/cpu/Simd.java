package ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width every SIMD loop of the CPU backend uses: the machine's widest, or the one
 * named by {@code -Dember.vectorBits=128|256|512}, so the kernels' tails and paddings can be
 * tested at widths this machine does not have (slowly: the JIT emulates them).
 */
final class Simd {
    private Simd() {}

    static final VectorSpecies<Float> FLOATS = species(System.getProperty("ember.vectorBits"));

    /** For d = VL/2, VL/4, … 1: the shuffle taking lane i to lane i xor d. */
    private static final VectorShuffle<Float>[] PARTNERS = partners();

    /**
     * The sum of v's lanes in one fixed order: lane i plus lane i xor VL/2, then the same at
     * VL/4, …, 1 (at 8 lanes ((0+4)+(2+6))+((1+5)+(3+7))). reduceLanes(ADD) leaves the order to
     * the JIT, and the interpreter and C2 pick different ones: a run resumed in a fresh JVM then
     * drifted from the run that never stopped (107 of 128 tensors differed after one epoch).
     */
    static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> partner : PARTNERS) {
            v = v.add(v.rearrange(partner));
        }
        return v.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] partners() {
        int lanes = FLOATS.length();
        VectorShuffle<Float>[] partners = new VectorShuffle[Integer.numberOfTrailingZeros(lanes)];
        for (int d = lanes / 2, k = 0; d >= 1; d /= 2, k++) {
            int distance = d;
            partners[k] = VectorShuffle.fromOp(FLOATS, i -> i ^ distance);
        }
        return partners;
    }

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
