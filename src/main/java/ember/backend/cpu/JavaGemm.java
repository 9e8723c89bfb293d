package ember.backend.cpu;

/**
 * The GEMM used when no BLAS library is found: rows of C in parallel, and an inner loop
 * over contiguous memory that the JIT vectorises. Transposed operands are handled by
 * choosing the loop order, never by copying.
 */
final class JavaGemm implements Gemm {
    private final Parallel parallel;

    JavaGemm(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public String describe() {
        return "Java loops";
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        int grain = Math.max(1, 32_768 / Math.max(1, n * k));
        parallel.range(m, grain, (from, to) -> {
            for (int i = from; i < to; i++) {
                int cRow = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    c[cRow + j] = beta == 0 ? 0 : beta * c[cRow + j];
                }
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        float sum = 0;
                        int bRow = bOff + j * ldb;
                        for (int p = 0; p < k; p++) {
                            sum += elementA(transA, a, aOff, lda, i, p) * b[bRow + p];
                        }
                        c[cRow + j] += alpha * sum;
                    }
                } else {
                    for (int p = 0; p < k; p++) {
                        float av = alpha * elementA(transA, a, aOff, lda, i, p);
                        int bRow = bOff + p * ldb;
                        for (int j = 0; j < n; j++) {
                            c[cRow + j] += av * b[bRow + j];
                        }
                    }
                }
            }
        });
    }

    /** op(A)[i, p]: A is stored m×k (row i at i·lda), or k×m when transposed. */
    private static float elementA(boolean transA, float[] a, int aOff, int lda, int i, int p) {
        return transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
    }
}
