package ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The elementwise and reduction loops of the CPU backend in SIMD (the JIT does not vectorise
 * float reductions, whose order it must keep, nor the select of a ReLU mask). Each method
 * works on a span of one or more arrays; sums are kept per lane and added at the end.
 */
final class VectorMath {
    private static final VectorSpecies<Float> S = Simd.FLOATS;

    private VectorMath() {}

    // The reductions below keep four sums per lane, one per vector of a run of four: a single
    // chain of adds waits out each add's latency (3–4 cycles) and ran at a third of the speed
    // the loads allow (batch norm's statistics of a 32×32 plane, docs/exp2.md). The chains
    // are added in one fixed order, so the bits do not depend on anything but the data.

    /** Σ a[off .. off+len). */
    static float sum(float[] a, int off, int len) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0, step = S.length();
        for (int bound = len - 4 * step; i <= bound; i += 4 * step) {
            s0 = s0.add(FloatVector.fromArray(S, a, off + i));
            s1 = s1.add(FloatVector.fromArray(S, a, off + i + step));
            s2 = s2.add(FloatVector.fromArray(S, a, off + i + 2 * step));
            s3 = s3.add(FloatVector.fromArray(S, a, off + i + 3 * step));
        }
        for (int bound = S.loopBound(len); i < bound; i += step) {
            s0 = s0.add(FloatVector.fromArray(S, a, off + i));
        }
        float sum = Simd.sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < len; i++) {
            sum += a[off + i];
        }
        return sum;
    }

    /** Σ (a − mean)² over the span. */
    static float squaredDeviations(float[] a, int off, int len, float mean) {
        FloatVector m = FloatVector.broadcast(S, mean), s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0, step = S.length();
        for (int bound = len - 4 * step; i <= bound; i += 4 * step) {
            FloatVector d0 = FloatVector.fromArray(S, a, off + i).sub(m);
            FloatVector d1 = FloatVector.fromArray(S, a, off + i + step).sub(m);
            FloatVector d2 = FloatVector.fromArray(S, a, off + i + 2 * step).sub(m);
            FloatVector d3 = FloatVector.fromArray(S, a, off + i + 3 * step).sub(m);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
            s2 = d2.fma(d2, s2);
            s3 = d3.fma(d3, s3);
        }
        for (int bound = S.loopBound(len); i < bound; i += step) {
            FloatVector d = FloatVector.fromArray(S, a, off + i).sub(m);
            s0 = d.fma(d, s0);
        }
        float sum = Simd.sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < len; i++) {
            float d = a[off + i] - mean;
            sum += d * d;
        }
        return sum;
    }

    /** Σ a·(b − center) over two spans of equal length; centring first avoids cancellation. */
    static float centeredDot(float[] a, int aOff, float[] b, int bOff, int len, float center) {
        FloatVector m = FloatVector.broadcast(S, center), s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0, step = S.length();
        for (int bound = len - 4 * step; i <= bound; i += 4 * step) {
            s0 = addCenteredProduct(a, aOff + i, b, bOff + i, m, s0);
            s1 = addCenteredProduct(a, aOff + i + step, b, bOff + i + step, m, s1);
            s2 = addCenteredProduct(a, aOff + i + 2 * step, b, bOff + i + 2 * step, m, s2);
            s3 = addCenteredProduct(a, aOff + i + 3 * step, b, bOff + i + 3 * step, m, s3);
        }
        for (int bound = S.loopBound(len); i < bound; i += step) {
            s0 = addCenteredProduct(a, aOff + i, b, bOff + i, m, s0);
        }
        float sum = Simd.sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < len; i++) {
            sum += a[aOff + i] * (b[bOff + i] - center);
        }
        return sum;
    }

    /** acc + a·(b − center) for one vector of each span. */
    private static FloatVector addCenteredProduct(float[] a, int ai, float[] b, int bi, FloatVector center,
                                                  FloatVector acc) {
        return FloatVector.fromArray(S, a, ai).fma(FloatVector.fromArray(S, b, bi).sub(center), acc);
    }

    /**
     * A plane's sums for batch norm (CpuBackend.planeSums, the stats its conv2d leaves): Σ a to sums[at], and Σ (a − m)² to
     * sums[at + 1], m being Σ a / len rounded to float. Read twice while it is in L1.
     */
    static void planeSums(float[] a, int off, int len, float[] sums, int at) {
        float sum = sum(a, off, len);
        sums[at] = sum;
        sums[at + 1] = squaredDeviations(a, off, len, (float) (sum / (double) len));
    }

    /** y = a·x + c over a span (y may be x). */
    static void scaleShift(float[] x, int xOff, float[] y, int yOff, int len, float a, float c) {
        FloatVector va = FloatVector.broadcast(S, a), vc = FloatVector.broadcast(S, c);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, vc).intoArray(y, yOff + i);
        }
        for (; i < len; i++) {
            y[yOff + i] = Math.fma(x[xOff + i], a, c);
        }
    }

    /**
     * y = max(a·x + c, 0), or max(a·x + c + r, 0) when r is not null: batch norm with the ReLU
     * (and residual) after it. a·x + c is fused as in {@link #scaleShift}, so that the masks
     * below find exactly the pixels this zeroed.
     */
    static void scaleShiftRelu(float[] x, int xOff, float[] r, int rOff, float[] y, int yOff, int len, float a,
                               float c) {
        FloatVector va = FloatVector.broadcast(S, a), vc = FloatVector.broadcast(S, c), zero = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i).fma(va, vc);
            if (r != null) {
                v = v.add(FloatVector.fromArray(S, r, rOff + i));
            }
            v.max(zero).intoArray(y, yOff + i);
        }
        for (; i < len; i++) {
            float v = Math.fma(x[xOff + i], a, c) + (r != null ? r[rOff + i] : 0f);
            y[yOff + i] = Math.max(v, 0f);
        }
    }

    /** Σ dy over the pixels where a·x + c > 0: dy through a ReLU whose input was {@link #scaleShift}'s. */
    static float maskedSum(float[] dy, int dyOff, float[] x, int xOff, int len, float a, float c) {
        FloatVector va = FloatVector.broadcast(S, a), vc = FloatVector.broadcast(S, c);
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0, step = S.length();
        for (int bound = len - 4 * step; i <= bound; i += 4 * step) {
            s0 = s0.add(masked(dy, dyOff + i, x, xOff + i, va, vc));
            s1 = s1.add(masked(dy, dyOff + i + step, x, xOff + i + step, va, vc));
            s2 = s2.add(masked(dy, dyOff + i + 2 * step, x, xOff + i + 2 * step, va, vc));
            s3 = s3.add(masked(dy, dyOff + i + 3 * step, x, xOff + i + 3 * step, va, vc));
        }
        for (int bound = S.loopBound(len); i < bound; i += step) {
            s0 = s0.add(masked(dy, dyOff + i, x, xOff + i, va, vc));
        }
        float sum = Simd.sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < len; i++) {
            sum += Math.fma(x[xOff + i], a, c) > 0 ? dy[dyOff + i] : 0f;
        }
        return sum;
    }

    /** Σ dy·(x − center) over the pixels where a·x + c > 0: {@link #centeredDot} through the same mask. */
    static float maskedCenteredDot(float[] dy, int dyOff, float[] x, int xOff, int len, float a, float c,
                                   float center) {
        FloatVector va = FloatVector.broadcast(S, a), vc = FloatVector.broadcast(S, c);
        FloatVector m = FloatVector.broadcast(S, center), s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0, step = S.length();
        for (int bound = len - 4 * step; i <= bound; i += 4 * step) {
            s0 = addMaskedCentered(dy, dyOff + i, x, xOff + i, va, vc, m, s0);
            s1 = addMaskedCentered(dy, dyOff + i + step, x, xOff + i + step, va, vc, m, s1);
            s2 = addMaskedCentered(dy, dyOff + i + 2 * step, x, xOff + i + 2 * step, va, vc, m, s2);
            s3 = addMaskedCentered(dy, dyOff + i + 3 * step, x, xOff + i + 3 * step, va, vc, m, s3);
        }
        for (int bound = S.loopBound(len); i < bound; i += step) {
            s0 = addMaskedCentered(dy, dyOff + i, x, xOff + i, va, vc, m, s0);
        }
        float sum = Simd.sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < len; i++) {
            float masked = Math.fma(x[xOff + i], a, c) > 0 ? dy[dyOff + i] : 0f;
            sum += masked * (x[xOff + i] - center);
        }
        return sum;
    }

    /**
     * What batch norm + ReLU's backward sums over one plane: sums[at] = {@link #maskedSum},
     * sums[at + 1] = {@link #maskedCenteredDot}, so that a pass that has just written dy can
     * leave them and spare the backward a read of dy and x.
     */
    static void maskedGradientSums(float[] dy, int dyOff, float[] x, int xOff, int len, float a, float c,
                                   float center, float[] sums, int at) {
        sums[at] = maskedSum(dy, dyOff, x, xOff, len, a, c);
        sums[at + 1] = maskedCenteredDot(dy, dyOff, x, xOff, len, a, c, center);
    }

    /** One vector of dy, zero where a·x + c ≤ 0. */
    private static FloatVector masked(float[] dy, int dyi, float[] x, int xi, FloatVector a, FloatVector c) {
        VectorMask<Float> on = FloatVector.fromArray(S, x, xi).fma(a, c).compare(VectorOperators.GT, 0f);
        return FloatVector.zero(S).blend(FloatVector.fromArray(S, dy, dyi), on);
    }

    /** acc + {@link #masked}(dy)·(x − center) for one vector of each span. */
    private static FloatVector addMaskedCentered(float[] dy, int dyi, float[] x, int xi, FloatVector a, FloatVector c,
                                                 FloatVector center, FloatVector acc) {
        FloatVector xv = FloatVector.fromArray(S, x, xi);
        FloatVector masked = FloatVector.zero(S).blend(FloatVector.fromArray(S, dy, dyi),
                xv.fma(a, c).compare(VectorOperators.GT, 0f));
        return masked.fma(xv.sub(center), acc);
    }

    /** z = a·u + b·(v − center) + c over a span: batch norm's input gradient in one pass. */
    static void affine2(float[] u, int uOff, float[] v, int vOff, float[] z, int zOff, int len,
                        float a, float b, float center, float c) {
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
        FloatVector vc = FloatVector.broadcast(S, c), m = FloatVector.broadcast(S, center);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            FloatVector uv = FloatVector.fromArray(S, u, uOff + i), vv = FloatVector.fromArray(S, v, vOff + i).sub(m);
            uv.fma(va, vv.fma(vb, vc)).intoArray(z, zOff + i);
        }
        for (; i < len; i++) {
            z[zOff + i] = Math.fma(u[uOff + i], a, Math.fma(v[vOff + i] - center, b, c));
        }
    }

    /**
     * {@link #affine2} with u masked where a'·v + c' ≤ 0 (maskScale a', maskShift c'): batch
     * norm's input gradient through the ReLU after it.
     */
    static void maskedAffine2(float[] u, int uOff, float[] v, int vOff, float[] z, int zOff, int len,
                              float a, float b, float center, float c, float maskScale, float maskShift) {
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
        FloatVector vc = FloatVector.broadcast(S, c), m = FloatVector.broadcast(S, center);
        FloatVector ma = FloatVector.broadcast(S, maskScale), mc = FloatVector.broadcast(S, maskShift);
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            FloatVector vv = FloatVector.fromArray(S, v, vOff + i);
            FloatVector uv = zero.blend(FloatVector.fromArray(S, u, uOff + i),
                    vv.fma(ma, mc).compare(VectorOperators.GT, 0f));
            uv.fma(va, vv.sub(m).fma(vb, vc)).intoArray(z, zOff + i);
        }
        for (; i < len; i++) {
            float masked = Math.fma(v[vOff + i], maskScale, maskShift) > 0 ? u[uOff + i] : 0f;
            z[zOff + i] = Math.fma(masked, a, Math.fma(v[vOff + i] - center, b, c));
        }
    }

    /**
     * y = a + b elementwise (y may be a or b). In SIMD by hand: as a plain loop, which C2 may
     * not vectorise when y and b are different arrays that could overlap, the stride-2
     * convolution's col2im adds took a third of its backward-data pass (docs/exp2.md).
     */
    static void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len) {
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) {
            y[yOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /** dx = dy where x > 0, else 0 (dx may be dy). */
    static void reluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int len) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            VectorMask<Float> positive = FloatVector.fromArray(S, x, xOff + i).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(S, dy, dyOff + i), positive).intoArray(dx, dxOff + i);
        }
        for (; i < len; i++) {
            dx[dxOff + i] = x[xOff + i] > 0 ? dy[dyOff + i] : 0f;
        }
    }

    /**
     * dst[dstOff + i] = src[srcOff + index[indexOff + i]] for i < n. A plain loop: the Vector
     * API's gathers checked every lane's index on its own (Objects.checkIndex) and were slower.
     */
    static void gather(float[] src, int srcOff, int[] index, int indexOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = src[srcOff + index[indexOff + i]];
        }
    }
}
