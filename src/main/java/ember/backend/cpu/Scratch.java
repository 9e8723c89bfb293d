package ember.backend.cpu;

/**
 * Per-worker scratch arrays that only ever grow: the first step of a shape allocates, every
 * later step reuses. Slots separate arrays that one op needs at the same time.
 */
final class Scratch {
    static final int COLUMNS = 0, PARTIAL_SUMS = 1, PADDED = 2, PACKED_WEIGHTS = 3, PRODUCTS = 4, BLOCKS = 5,
            TRANSFORM_PASS = 6, INPUT_AFFINE = 7, PATCHES = 8, PHASE_PLANES = 9, FLAT_OUTPUT = 10;
    private static final int SLOTS = 11;

    private final float[][][] arrays;

    Scratch(int workers) {
        arrays = new float[workers][SLOTS][];
    }

    float[] get(int worker, int slot, int size) {
        float[] a = arrays[worker][slot];
        if (a == null || a.length < size) {
            a = new float[size];
            arrays[worker][slot] = a;
        }
        return a;
    }
}
