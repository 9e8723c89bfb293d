package ember.backend.cpu;

/**
 * Row-major single-precision GEMM on heap arrays: C = alpha·op(A)·op(B) + beta·C, each
 * matrix given by its array and the offset of its first element (leading dimensions are
 * the packed ones). beta = 0 never reads C.
 */
interface Gemm {
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               float[] a, int aOffset, float[] b, int bOffset, float beta, float[] c, int cOffset);

    /** Names the implementation for the backend's one-line description. */
    String describe();
}
