package ember.backend.reference;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.Checks;
import ember.backend.Span;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The plain reference: every op as the obvious loop, in double precision, single-threaded.
 * It is the test oracle for every other backend, and, because it stores doubles, the layers
 * run on it unchanged for float64 finite-difference gradient checks.
 */
public final class ReferenceBackend implements Backend {

    /** A window into a double[]. */
    public static final class RefBuffer extends Span {
        final double[] data;

        RefBuffer(int length) {
            super(length);
            data = new double[length];
        }

        private RefBuffer(RefBuffer parent, int offset, int length) {
            super(parent, offset, length);
            data = parent.data;
        }

        @Override
        public Buffer slice(int offset, int length) {
            return new RefBuffer(this, offset, length);
        }

        public double get(int i) {
            return data[index(i)];
        }

        public void set(int i, double value) {
            data[index(i)] = value;
        }

        private int index(int i) {
            java.util.Objects.checkIndex(i, length());
            return offset() + i;
        }
    }

    private final AtomicLong allocations = new AtomicLong();

    @Override
    public long allocations() {
        return allocations.get();
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String description() {
        return "reference (plain loops in double precision, 1 thread: the test oracle, not for speed)";
    }

    @Override
    public RefBuffer allocate(int length) {
        allocations.incrementAndGet();
        return new RefBuffer(length);
    }

    /** The reference buffer behind {@code b}, for direct double access in tests and checks. */
    public static RefBuffer ref(Buffer b) {
        if (b instanceof RefBuffer r) {
            return r;
        }
        throw new IllegalArgumentException("not a reference buffer: " + b);
    }

    @Override
    public void write(Buffer dst, float[] src) {
        RefBuffer d = ref(dst);
        if (src.length != d.length()) {
            throw new IllegalArgumentException("write: " + src.length + " values into a buffer of " + d.length());
        }
        for (int i = 0; i < src.length; i++) {
            d.set(i, src[i]);
        }
    }

    @Override
    public void read(Buffer src, float[] dst) {
        RefBuffer s = ref(src);
        for (int i = 0; i < s.length(); i++) {
            dst[i] = (float) s.get(i);
        }
    }

    @Override
    public void fill(Buffer x, float value) {
        RefBuffer b = ref(x);
        for (int i = 0; i < b.length(); i++) {
            b.set(i, value);
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Buffer a, Buffer b, float beta, Buffer c) {
        Checks.gemm(m, n, k, a, b, c);
        RefBuffer ra = ref(a), rb = ref(b), rc = ref(c);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? ra.get(p * m + i) : ra.get(i * k + p);
                    double bv = transB ? rb.get(j * k + p) : rb.get(p * n + j);
                    sum += av * bv;
                }
                // beta = 0 must not read C: it may hold garbage (even NaN), as in BLAS.
                double old = beta == 0 ? 0 : beta * rc.get(i * n + j);
                rc.set(i * n + j, alpha * sum + old);
            }
        }
    }

    @Override
    public void addBias(Buffer y, Buffer bias, int rows, int cols) {
        RefBuffer ry = ref(y), rb = ref(bias);
        Checks.atLeast("addBias", "y", y, (long) rows * cols);
        Checks.atLeast("addBias", "bias", bias, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                ry.set(r * cols + c, ry.get(r * cols + c) + rb.get(c));
            }
        }
    }

    @Override
    public void sumRows(Buffer dy, Buffer biasGrad, int rows, int cols) {
        RefBuffer rd = ref(dy), rg = ref(biasGrad);
        Checks.atLeast("sumRows", "dy", dy, (long) rows * cols);
        Checks.atLeast("sumRows", "biasGrad", biasGrad, cols);
        for (int c = 0; c < cols; c++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) {
                sum += rd.get(r * cols + c);
            }
            rg.set(c, rg.get(c) + sum);
        }
    }

    @Override
    public void relu(Buffer x, Buffer y) {
        Checks.sameLength("relu", x, y);
        RefBuffer rx = ref(x), ry = ref(y);
        for (int i = 0; i < rx.length(); i++) {
            ry.set(i, Math.max(rx.get(i), 0));
        }
    }

    @Override
    public void reluBackward(Buffer x, Buffer dy, Buffer dx) {
        Checks.sameLength("reluBackward", x, dy);
        Checks.sameLength("reluBackward", x, dx);
        RefBuffer rx = ref(x), rdy = ref(dy), rdx = ref(dx);
        for (int i = 0; i < rx.length(); i++) {
            rdx.set(i, rx.get(i) > 0 ? rdy.get(i) : 0);
        }
    }

    @Override
    public void tanh(Buffer x, Buffer y) {
        Checks.sameLength("tanh", x, y);
        RefBuffer rx = ref(x), ry = ref(y);
        for (int i = 0; i < rx.length(); i++) {
            ry.set(i, Math.tanh(rx.get(i)));
        }
    }

    @Override
    public void tanhBackward(Buffer y, Buffer dy, Buffer dx) {
        Checks.sameLength("tanhBackward", y, dy);
        Checks.sameLength("tanhBackward", y, dx);
        RefBuffer ry = ref(y), rdy = ref(dy), rdx = ref(dx);
        for (int i = 0; i < ry.length(); i++) {
            double t = ry.get(i);
            rdx.set(i, rdy.get(i) * (1 - t * t));
        }
    }

    @Override
    public void mseLoss(Buffer pred, Buffer target, Buffer loss) {
        Checks.sameLength("mseLoss", pred, target);
        RefBuffer rp = ref(pred), rt = ref(target);
        double sum = 0;
        for (int i = 0; i < rp.length(); i++) {
            double d = rp.get(i) - rt.get(i);
            sum += d * d;
        }
        ref(loss).set(0, sum / rp.length());
    }

    @Override
    public void mseBackward(Buffer pred, Buffer target, Buffer dpred) {
        Checks.sameLength("mseBackward", pred, target);
        Checks.sameLength("mseBackward", pred, dpred);
        RefBuffer rp = ref(pred), rt = ref(target), rd = ref(dpred);
        int n = rp.length();
        for (int i = 0; i < n; i++) {
            rd.set(i, 2 * (rp.get(i) - rt.get(i)) / n);
        }
    }

    @Override
    public void sgdStep(Buffer params, Buffer grads, Buffer velocity, float lr, float momentum, float weightDecay) {
        Checks.sameLength("sgdStep", params, grads);
        RefBuffer p = ref(params), g = ref(grads);
        RefBuffer v = momentum != 0 ? ref(velocity) : null;
        if (v != null) {
            Checks.sameLength("sgdStep", params, velocity);
        }
        for (int i = 0; i < p.length(); i++) {
            double step = g.get(i) + (double) weightDecay * p.get(i);
            if (v != null) {
                step = momentum * v.get(i) + step;
                v.set(i, step);
            }
            p.set(i, p.get(i) - lr * step);
        }
    }

    @Override
    public void gatherRows(Buffer table, Buffer indices, Buffer out, int width) {
        RefBuffer rt = ref(table), ri = ref(indices), ro = ref(out);
        int rows = rt.length() / width;
        Checks.atLeast("gatherRows", "out", out, (long) ri.length() * width);
        for (int i = 0; i < ri.length(); i++) {
            int row = checkedRow(ri.get(i), rows);
            for (int c = 0; c < width; c++) {
                ro.set(i * width + c, rt.get(row * width + c));
            }
        }
    }

    static int checkedRow(double index, int rows) {
        int row = (int) index;
        if (row != index || row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("gatherRows: index " + index + " outside 0.." + (rows - 1));
        }
        return row;
    }

    @Override
    public void close() {}
}
