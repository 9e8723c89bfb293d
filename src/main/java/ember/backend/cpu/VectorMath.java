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

    /** Σ a[off .. off+len). */
    static float sum(float[] a, int off, int len) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, a, off + i));
        }
        float sum = Simd.sumLanes(acc);
        for (; i < len; i++) {
            sum += a[off + i];
        }
        return sum;
    }

    /** Σ (a − mean)² over the span. */
    static float squaredDeviations(float[] a, int off, int len, float mean) {
        FloatVector acc = FloatVector.zero(S);
        FloatVector m = FloatVector.broadcast(S, mean);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, a, off + i).sub(m);
            acc = d.fma(d, acc);
        }
        float sum = Simd.sumLanes(acc);
        for (; i < len; i++) {
            float d = a[off + i] - mean;
            sum += d * d;
        }
        return sum;
    }

    /**
     * A plane's sums for batch norm (Backend.planeSums): Σ a to sums[at], and Σ (a − m)² to
     * sums[at + 1], m being Σ a / len rounded to float. Read twice while it is in L1.
     */
    static void planeSums(float[] a, int off, int len, float[] sums, int at) {
        float sum = sum(a, off, len);
        sums[at] = sum;
        sums[at + 1] = squaredDeviations(a, off, len, (float) (sum / (double) len));
    }

    /** Σ a·(b − center) over two spans of equal length; centring first avoids cancellation. */
    static float centeredDot(float[] a, int aOff, float[] b, int bOff, int len, float center) {
        FloatVector acc = FloatVector.zero(S);
        FloatVector m = FloatVector.broadcast(S, center);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i).sub(m), acc);
        }
        float sum = Simd.sumLanes(acc);
        for (; i < len; i++) {
            sum += a[aOff + i] * (b[bOff + i] - center);
        }
        return sum;
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
        FloatVector va = FloatVector.broadcast(S, a), vc = FloatVector.broadcast(S, c), zero = FloatVector.zero(S);
        FloatVector acc = zero;
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            VectorMask<Float> on = FloatVector.fromArray(S, x, xOff + i).fma(va, vc).compare(VectorOperators.GT, 0f);
            acc = acc.add(zero.blend(FloatVector.fromArray(S, dy, dyOff + i), on));
        }
        float sum = Simd.sumLanes(acc);
        for (; i < len; i++) {
            sum += Math.fma(x[xOff + i], a, c) > 0 ? dy[dyOff + i] : 0f;
        }
        return sum;
    }

    /** Σ dy·(x − center) over the pixels where a·x + c > 0: {@link #centeredDot} through the same mask. */
    static float maskedCenteredDot(float[] dy, int dyOff, float[] x, int xOff, int len, float a, float c,
                                   float center) {
        FloatVector va = FloatVector.broadcast(S, a), vc = FloatVector.broadcast(S, c), zero = FloatVector.zero(S);
        FloatVector m = FloatVector.broadcast(S, center), acc = zero;
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
            FloatVector masked = zero.blend(FloatVector.fromArray(S, dy, dyOff + i),
                    xv.fma(va, vc).compare(VectorOperators.GT, 0f));
            acc = masked.fma(xv.sub(m), acc);
        }
        float sum = Simd.sumLanes(acc);
        for (; i < len; i++) {
            float masked = Math.fma(x[xOff + i], a, c) > 0 ? dy[dyOff + i] : 0f;
            sum += masked * (x[xOff + i] - center);
        }
        return sum;
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

    /** y = a + b elementwise (y may be a or b; a loop C2 vectorises by itself). */
    static void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len) {
        for (int i = 0; i < len; i++) {
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
}
