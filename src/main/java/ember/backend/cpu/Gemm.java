package ember.backend.cpu;

/**
 * Row-major single-precision GEMM on heap arrays: C = alpha·op(A)·op(B) + beta·C, each
 * matrix given by its array, the offset of its first element and its leading dimension (the
 * distance between rows as stored). beta = 0 never reads C.
 */
interface Gemm {
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
               float beta, float[] c, int cOffset, int ldc);

    /** The common case: every matrix stored packed, rows back to back. */
    default void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                       float[] a, int aOffset, float[] b, int bOffset, float beta, float[] c, int cOffset) {
        sgemm(transA, transB, m, n, k, alpha, a, aOffset, Math.max(1, transA ? m : k),
                b, bOffset, Math.max(1, transB ? k : n), beta, c, cOffset, Math.max(1, n));
    }

    /** Names the implementation for the backend's one-line description. */
    String describe();
}
