package ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width every SIMD loop of the CPU backend uses: the machine's widest, except 256
 * bits on an AMD CPU with wider vectors ({@link #defaultBits}), or the one named by
 * {@code -Dember.vectorBits=128|256|512}, so the kernels' tails and paddings can be tested at
 * widths this machine does not have (slowly: the JIT emulates them).
 */
final class Simd {
    private Simd() {}

    /** A width, and why it was taken. */
    private record Width(VectorSpecies<Float> species, String why) {}

    private static final Width WIDTH = width(System.getProperty("ember.vectorBits"));

    static final VectorSpecies<Float> FLOATS = WIDTH.species();

    private static final int LANES = FLOATS.length();

    /** The shuffles taking lane i to lane i xor d, for d = 1, 2, 4, 8 (null where d ≥ LANES). */
    private static final VectorShuffle<Float> XOR1 = partner(1), XOR2 = partner(2), XOR4 = partner(4), XOR8 = partner(8);

    /**
     * The sum of v's lanes in one fixed order: lane i plus lane i xor LANES/2, then the same at
     * LANES/4, …, 1 (at 8 lanes ((0+4)+(2+6))+((1+5)+(3+7))). reduceLanes(ADD) leaves the order to
     * the JIT, and the interpreter and C2 pick different ones: a run resumed in a fresh JVM then
     * drifted from the run that never stopped (107 of 128 tensors differed after one epoch).
     * Unrolled over constant shuffles: a loop over an array of them took 1.4× as long (a probe).
     */
    static float sumLanes(FloatVector v) {
        if (LANES > 8) {
            v = v.add(v.rearrange(XOR8));
        }
        if (LANES > 4) {
            v = v.add(v.rearrange(XOR4));
        }
        v = v.add(v.rearrange(XOR2));
        v = v.add(v.rearrange(XOR1));
        return v.lane(0);
    }

    private static VectorShuffle<Float> partner(int distance) {
        return distance < LANES ? VectorShuffle.fromOp(FLOATS, i -> i ^ distance) : null;
    }

    /** The width and why, for the backend's description: "512-bit vectors (the machine's widest)". */
    static String describe() {
        return FLOATS.vectorBitSize() + "-bit vectors (" + WIDTH.why() + ")";
    }

    /**
     * The width to use unless one is named: the machine's widest, but 256 bits on AMD. On a
     * 2-core AMD EPYC VM (family 26, AVX-512) exp2's step took 174.7 ms at 256 bits against
     * 206.7 ms at 512 (bench/ab-torch.sh, 2026-12-06, docs/exp2.md); Intel's AVX-512 machines
     * keep 512, where the 4-channel mixing tiles were measured faster.
     */
    static int defaultBits(String cpuinfo, int widest) {
        boolean amd = cpuinfo.lines().anyMatch(l -> l.startsWith("vendor_id") && l.contains("AuthenticAMD"));
        return amd && widest > 256 ? 256 : widest;
    }

    private static Width width(String bits) {
        if (bits == null || bits.isBlank()) {
            int widest = FloatVector.SPECIES_PREFERRED.vectorBitSize();
            int chosen = defaultBits(CpuInfo.text(), widest);
            return new Width(shape(chosen), chosen == widest ? "the machine's widest"
                    : "an AMD CPU, where exp2 ran faster than at " + widest + " bits");
        }
        return switch (bits.strip()) {
            case "128", "256", "512" -> new Width(shape(Integer.parseInt(bits.strip())), "-Dember.vectorBits");
            default -> throw new IllegalArgumentException("-Dember.vectorBits=" + bits + ": expected 128, 256 or 512");
        };
    }

    private static VectorSpecies<Float> shape(int bits) {
        return FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(bits));
    }
}
