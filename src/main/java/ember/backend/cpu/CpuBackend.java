package ember.backend.cpu;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.Checks;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fast CPU backend: float32 on the Java heap, elementwise ops split over a private
 * thread pool, GEMM through a CBLAS found at run time or, without one, Java loops.
 */
public final class CpuBackend implements Backend {
    /** Below this many elements an elementwise op runs on the calling thread. */
    private static final int ELEMENTWISE_GRAIN = 1 << 15;

    private final Parallel parallel;
    private final Gemm gemm;
    private final String gemmNote;

    /** blasNames: libraries to try, or empty to use Java loops without looking. */
    CpuBackend(int threads, java.util.List<String> blasNames) {
        this.parallel = new Parallel(threads);
        Gemm blas = blasNames.isEmpty() ? null : BlasGemm.find(blasNames).orElse(null);
        this.gemm = blas != null ? blas : new JavaGemm(parallel);
        this.gemmNote = blas != null ? "" : blasNames.isEmpty()
                ? " (BLAS not requested)"
                : " (no CBLAS library found: tried " + String.join(", ", blasNames)
                  + "; install libopenblas0 or set " + BlasGemm.ENV + " for faster GEMM)";
    }

    /** GEMM through the first CBLAS found, else Java loops (said in {@link #description()}). */
    public static CpuBackend withBlasIfPresent(int threads) {
        return new CpuBackend(threads, BlasGemm.KNOWN_NAMES);
    }

    /** GEMM in Java loops only, whatever is installed. */
    public static CpuBackend javaOnly(int threads) {
        return new CpuBackend(threads, java.util.List.of());
    }

    public boolean usesBlas() {
        return gemm instanceof BlasGemm;
    }

    private final AtomicLong allocations = new AtomicLong();

    @Override
    public long allocations() {
        return allocations.get();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "cpu (" + parallel.threads() + " threads, GEMM: " + gemm.describe() + ")" + gemmNote;
    }

    @Override
    public Buffer allocate(int length) {
        allocations.incrementAndGet();
        return new CpuBuffer(length);
    }

    @Override
    public void write(Buffer dst, float[] src) {
        CpuBuffer d = CpuBuffer.of(dst);
        if (src.length != d.length()) {
            throw new IllegalArgumentException("write: " + src.length + " values into a buffer of " + d.length());
        }
        System.arraycopy(src, 0, d.data, d.offset(), src.length);
    }

    @Override
    public void read(Buffer src, float[] dst) {
        CpuBuffer s = CpuBuffer.of(src);
        System.arraycopy(s.data, s.offset(), dst, 0, s.length());
    }

    @Override
    public void fill(Buffer x, float value) {
        CpuBuffer b = CpuBuffer.of(x);
        java.util.Arrays.fill(b.data, b.offset(), b.offset() + b.length(), value);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Buffer a, Buffer b, float beta, Buffer c) {
        Checks.gemm(m, n, k, a, b, c);
        CpuBuffer ca = CpuBuffer.of(a), cb = CpuBuffer.of(b), cc = CpuBuffer.of(c);
        gemm.sgemm(transA, transB, m, n, k, alpha, ca.data, ca.offset(), cb.data, cb.offset(),
                beta, cc.data, cc.offset());
    }

    @Override
    public void addBias(Buffer y, Buffer bias, int rows, int cols) {
        Checks.atLeast("addBias", "y", y, (long) rows * cols);
        Checks.atLeast("addBias", "bias", bias, cols);
        float[] yd = CpuBuffer.of(y).data, bd = CpuBuffer.of(bias).data;
        int yo = CpuBuffer.of(y).offset(), bo = CpuBuffer.of(bias).offset();
        parallel.range(rows, Math.max(1, ELEMENTWISE_GRAIN / Math.max(1, cols)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int row = yo + r * cols;
                for (int c = 0; c < cols; c++) {
                    yd[row + c] += bd[bo + c];
                }
            }
        });
    }

    @Override
    public void sumRows(Buffer dy, Buffer biasGrad, int rows, int cols) {
        Checks.atLeast("sumRows", "dy", dy, (long) rows * cols);
        Checks.atLeast("sumRows", "biasGrad", biasGrad, cols);
        float[] d = CpuBuffer.of(dy).data, g = CpuBuffer.of(biasGrad).data;
        int dOff = CpuBuffer.of(dy).offset(), gOff = CpuBuffer.of(biasGrad).offset();
        // Columns are independent, so threads never share an output element.
        parallel.range(cols, Math.max(1, ELEMENTWISE_GRAIN / Math.max(1, rows)), (from, to) -> {
            for (int c = from; c < to; c++) {
                double sum = 0;
                for (int r = 0; r < rows; r++) {
                    sum += d[dOff + r * cols + c];
                }
                g[gOff + c] += (float) sum;
            }
        });
    }

    @Override
    public void relu(Buffer x, Buffer y) {
        Checks.sameLength("relu", x, y);
        float[] xd = CpuBuffer.of(x).data, yd = CpuBuffer.of(y).data;
        int xo = CpuBuffer.of(x).offset(), yo = CpuBuffer.of(y).offset();
        parallel.range(x.length(), ELEMENTWISE_GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                yd[yo + i] = Math.max(xd[xo + i], 0f);
            }
        });
    }

    @Override
    public void reluBackward(Buffer x, Buffer dy, Buffer dx) {
        Checks.sameLength("reluBackward", x, dy);
        Checks.sameLength("reluBackward", x, dx);
        float[] xd = CpuBuffer.of(x).data, dyd = CpuBuffer.of(dy).data, dxd = CpuBuffer.of(dx).data;
        int xo = CpuBuffer.of(x).offset(), dyo = CpuBuffer.of(dy).offset(), dxo = CpuBuffer.of(dx).offset();
        parallel.range(x.length(), ELEMENTWISE_GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                dxd[dxo + i] = xd[xo + i] > 0 ? dyd[dyo + i] : 0f;
            }
        });
    }

    @Override
    public void tanh(Buffer x, Buffer y) {
        Checks.sameLength("tanh", x, y);
        float[] xd = CpuBuffer.of(x).data, yd = CpuBuffer.of(y).data;
        int xo = CpuBuffer.of(x).offset(), yo = CpuBuffer.of(y).offset();
        parallel.range(x.length(), ELEMENTWISE_GRAIN / 8, (from, to) -> {
            for (int i = from; i < to; i++) {
                yd[yo + i] = (float) Math.tanh(xd[xo + i]);
            }
        });
    }

    @Override
    public void tanhBackward(Buffer y, Buffer dy, Buffer dx) {
        Checks.sameLength("tanhBackward", y, dy);
        Checks.sameLength("tanhBackward", y, dx);
        float[] yd = CpuBuffer.of(y).data, dyd = CpuBuffer.of(dy).data, dxd = CpuBuffer.of(dx).data;
        int yo = CpuBuffer.of(y).offset(), dyo = CpuBuffer.of(dy).offset(), dxo = CpuBuffer.of(dx).offset();
        parallel.range(y.length(), ELEMENTWISE_GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                float t = yd[yo + i];
                dxd[dxo + i] = dyd[dyo + i] * (1f - t * t);
            }
        });
    }

    @Override
    public void mseLoss(Buffer pred, Buffer target, Buffer loss) {
        Checks.sameLength("mseLoss", pred, target);
        CpuBuffer p = CpuBuffer.of(pred), t = CpuBuffer.of(target), l = CpuBuffer.of(loss);
        double sum = 0;
        for (int i = 0; i < p.length(); i++) {
            double d = p.data[p.offset() + i] - t.data[t.offset() + i];
            sum += d * d;
        }
        l.data[l.offset()] = (float) (sum / p.length());
    }

    @Override
    public void mseBackward(Buffer pred, Buffer target, Buffer dpred) {
        Checks.sameLength("mseBackward", pred, target);
        Checks.sameLength("mseBackward", pred, dpred);
        CpuBuffer p = CpuBuffer.of(pred), t = CpuBuffer.of(target), d = CpuBuffer.of(dpred);
        float scale = 2f / p.length();
        for (int i = 0; i < p.length(); i++) {
            d.data[d.offset() + i] = scale * (p.data[p.offset() + i] - t.data[t.offset() + i]);
        }
    }

    @Override
    public void sgdStep(Buffer params, Buffer grads, Buffer velocity, float lr, float momentum, float weightDecay) {
        Checks.sameLength("sgdStep", params, grads);
        if (momentum != 0) {
            Checks.sameLength("sgdStep", params, velocity);
        }
        float[] p = CpuBuffer.of(params).data, g = CpuBuffer.of(grads).data;
        int po = CpuBuffer.of(params).offset(), go = CpuBuffer.of(grads).offset();
        float[] v = momentum != 0 ? CpuBuffer.of(velocity).data : null;
        int vo = momentum != 0 ? CpuBuffer.of(velocity).offset() : 0;
        parallel.range(params.length(), ELEMENTWISE_GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                float step = g[go + i] + weightDecay * p[po + i];
                if (v != null) {
                    step = momentum * v[vo + i] + step;
                    v[vo + i] = step;
                }
                p[po + i] -= lr * step;
            }
        });
    }

    @Override
    public void gatherRows(Buffer table, Buffer indices, Buffer out, int width) {
        CpuBuffer t = CpuBuffer.of(table), idx = CpuBuffer.of(indices), o = CpuBuffer.of(out);
        Checks.atLeast("gatherRows", "out", out, (long) idx.length() * width);
        int rows = t.length() / width;
        for (int i = 0; i < idx.length(); i++) {
            float index = idx.data[idx.offset() + i];
            int row = (int) index;
            if (row != index || row < 0 || row >= rows) {
                throw new IndexOutOfBoundsException("gatherRows: index " + index + " outside 0.." + (rows - 1));
            }
            System.arraycopy(t.data, t.offset() + row * width, o.data, o.offset() + i * width, width);
        }
    }

    @Override
    public void close() {
        parallel.close();
    }
}
