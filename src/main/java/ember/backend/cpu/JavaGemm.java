package ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM used when no BLAS library is found: rows of C in parallel, and an inner loop
 * over contiguous memory that the JIT vectorises. Transposed operands are handled by
 * choosing the loop order, never by copying. A·Bᵀ (both read along k, the weight gradients'
 * case) runs as explicit vector dot products in tiles of 4 rows × 2 columns, whose lanes are
 * summed in {@link Simd#sumLanes}'s fixed order: the JIT does not vectorise a float sum.
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
            }
            if (transB && !transA) {
                dotProducts(from, to, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
                return;
            }
            for (int i = from; i < to; i++) {
                int cRow = cOff + i * ldc;
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        float sum = 0;
                        int bRow = bOff + j * ldb;
                        for (int p = 0; p < k; p++) {
                            sum += elementA(true, a, aOff, lda, i, p) * b[bRow + p];
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

    private static final VectorSpecies<Float> S = Simd.FLOATS;
    private static final int VL = S.length();

    /** C[i][j] += alpha·(row i of A)·(row j of B) for rows [from, to) of C, all n columns. */
    private static void dotProducts(int from, int to, int n, int k, float alpha, float[] a, int aOff, int lda,
                                    float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int i = from;
        for (; i + 4 <= to; i += 4) {
            int j = 0;
            for (; j + 2 <= n; j += 2) {
                tile4x2(k, alpha, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc);
            }
            for (; j < n; j++) {
                for (int r = i; r < i + 4; r++) {
                    c[cOff + r * ldc + j] += alpha * dot(k, a, aOff + r * lda, b, bOff + j * ldb);
                }
            }
        }
        for (; i < to; i++) {
            for (int j = 0; j < n; j++) {
                c[cOff + i * ldc + j] += alpha * dot(k, a, aOff + i * lda, b, bOff + j * ldb);
            }
        }
    }

    /** Four rows of A against two of B: 8 vector sums in registers, 6 loads per 8 FMAs. */
    private static void tile4x2(int k, float alpha, float[] a, int ai, int lda, float[] b, int bi, int ldb, float[] c,
                                int ci, int ldc) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00;
        FloatVector s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int whole = k - k % VL;
        for (int p = 0; p < whole; p += VL) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi + p), b1 = FloatVector.fromArray(S, b, bi + ldb + p);
            FloatVector x = FloatVector.fromArray(S, a, ai + p);
            s00 = x.fma(b0, s00);
            s01 = x.fma(b1, s01);
            x = FloatVector.fromArray(S, a, ai + lda + p);
            s10 = x.fma(b0, s10);
            s11 = x.fma(b1, s11);
            x = FloatVector.fromArray(S, a, ai + 2 * lda + p);
            s20 = x.fma(b0, s20);
            s21 = x.fma(b1, s21);
            x = FloatVector.fromArray(S, a, ai + 3 * lda + p);
            s30 = x.fma(b0, s30);
            s31 = x.fma(b1, s31);
        }
        add(s00, whole, k, alpha, a, ai, b, bi, c, ci);
        add(s01, whole, k, alpha, a, ai, b, bi + ldb, c, ci + 1);
        add(s10, whole, k, alpha, a, ai + lda, b, bi, c, ci + ldc);
        add(s11, whole, k, alpha, a, ai + lda, b, bi + ldb, c, ci + ldc + 1);
        add(s20, whole, k, alpha, a, ai + 2 * lda, b, bi, c, ci + 2 * ldc);
        add(s21, whole, k, alpha, a, ai + 2 * lda, b, bi + ldb, c, ci + 2 * ldc + 1);
        add(s30, whole, k, alpha, a, ai + 3 * lda, b, bi, c, ci + 3 * ldc);
        add(s31, whole, k, alpha, a, ai + 3 * lda, b, bi + ldb, c, ci + 3 * ldc + 1);
    }

    /** c[ci] += alpha·(the lanes of sum, plus the products of elements [whole, k) of the two rows). */
    private static void add(FloatVector sum, int whole, int k, float alpha, float[] a, int ai, float[] b, int bi,
                            float[] c, int ci) {
        c[ci] += alpha * (Simd.sumLanes(sum) + tail(whole, k, a, ai, b, bi));
    }

    private static float dot(int k, float[] a, int ai, float[] b, int bi) {
        FloatVector sum = FloatVector.zero(S);
        int whole = k - k % VL;
        for (int p = 0; p < whole; p += VL) {
            sum = FloatVector.fromArray(S, a, ai + p).fma(FloatVector.fromArray(S, b, bi + p), sum);
        }
        return Simd.sumLanes(sum) + tail(whole, k, a, ai, b, bi);
    }

    /** Σ a[ai + p]·b[bi + p] for p in [from, k): what the vectors leave. */
    private static float tail(int from, int k, float[] a, int ai, float[] b, int bi) {
        float sum = 0;
        for (int p = from; p < k; p++) {
            sum += a[ai + p] * b[bi + p];
        }
        return sum;
    }

    /** op(A)[i, p]: A is stored m×k (row i at i·lda), or k×m when transposed. */
    private static float elementA(boolean transA, float[] a, int aOff, int lda, int i, int p) {
        return transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
    }
}
