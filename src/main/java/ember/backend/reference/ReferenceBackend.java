package ember.backend.reference;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ChannelShape;
import ember.backend.Checks;
import ember.backend.ConvShape;
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
        if (src.length < d.length()) {
            throw new IllegalArgumentException("write: " + src.length + " values into a buffer of " + d.length());
        }
        for (int i = 0; i < d.length(); i++) {
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
    public void sgdStep(Buffer params, Buffer grads, Buffer velocity, Buffer learningRate, float momentum,
                        float weightDecay) {
        Checks.sameLength("sgdStep", params, grads);
        double lr = ref(learningRate).get(0);
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
            int row = Checks.index("gatherRows", "index", ri.get(i), rows);
            for (int c = 0; c < width; c++) {
                ro.set(i * width + c, rt.get(row * width + c));
            }
        }
    }

    @Override
    public void add(Buffer a, Buffer b, Buffer y) {
        Checks.sameLength("add", a, b);
        Checks.sameLength("add", a, y);
        RefBuffer ra = ref(a), rb = ref(b), ry = ref(y);
        for (int i = 0; i < ra.length(); i++) {
            ry.set(i, ra.get(i) + rb.get(i));
        }
    }

    /** x[n, c, iy, ix] or 0 in the padding. */
    private static double pixel(RefBuffer x, ConvShape s, int n, int c, int iy, int ix) {
        if (iy < 0 || iy >= s.height() || ix < 0 || ix >= s.width()) {
            return 0;
        }
        return x.get(((n * s.inChannels() + c) * s.height() + iy) * s.width() + ix);
    }

    @Override
    public void conv2d(ConvShape s, Buffer x, Buffer w, Buffer y) {
        Checks.conv(s, x, w, y);
        RefBuffer rx = ref(x), rw = ref(w), ry = ref(y);
        int k = s.kernel();
        for (int n = 0; n < s.batch(); n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                for (int oy = 0; oy < s.outHeight(); oy++) {
                    for (int ox = 0; ox < s.outWidth(); ox++) {
                        double sum = 0;
                        for (int c = 0; c < s.inChannels(); c++) {
                            for (int ky = 0; ky < k; ky++) {
                                for (int kx = 0; kx < k; kx++) {
                                    sum += rw.get(((o * s.inChannels() + c) * k + ky) * k + kx)
                                            * pixel(rx, s, n, c, oy * s.stride() - s.padding() + ky,
                                                    ox * s.stride() - s.padding() + kx);
                                }
                            }
                        }
                        ry.set(((n * s.outChannels() + o) * s.outHeight() + oy) * s.outWidth() + ox, sum);
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackwardData(ConvShape s, Buffer dy, Buffer w, Buffer dx) {
        Checks.conv(s, dx, w, dy);
        RefBuffer rdy = ref(dy), rw = ref(w), rdx = ref(dx);
        fill(dx, 0f);
        int k = s.kernel();
        forEachTap(s, (n, o, oy, ox, c, ky, kx, iy, ix) -> {
            int xi = ((n * s.inChannels() + c) * s.height() + iy) * s.width() + ix;
            rdx.set(xi, rdx.get(xi) + rw.get(((o * s.inChannels() + c) * k + ky) * k + kx)
                    * rdy.get(((n * s.outChannels() + o) * s.outHeight() + oy) * s.outWidth() + ox));
        });
    }

    @Override
    public void conv2dBackwardFilter(ConvShape s, Buffer x, Buffer dy, Buffer dw) {
        Checks.conv(s, x, dw, dy);
        RefBuffer rx = ref(x), rdy = ref(dy), rdw = ref(dw);
        int k = s.kernel();
        forEachTap(s, (n, o, oy, ox, c, ky, kx, iy, ix) -> {
            int wi = ((o * s.inChannels() + c) * k + ky) * k + kx;
            rdw.set(wi, rdw.get(wi) + rx.get(((n * s.inChannels() + c) * s.height() + iy) * s.width() + ix)
                    * rdy.get(((n * s.outChannels() + o) * s.outHeight() + oy) * s.outWidth() + ox));
        });
    }

    /** One multiply of the convolution: output (n, o, oy, ox) takes input (n, c, iy, ix) through tap (ky, kx). */
    private interface Tap {
        void accept(int n, int o, int oy, int ox, int c, int ky, int kx, int iy, int ix);
    }

    /** Visits every tap that lands inside the input (padding contributes nothing). */
    private static void forEachTap(ConvShape s, Tap tap) {
        for (int n = 0; n < s.batch(); n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                for (int oy = 0; oy < s.outHeight(); oy++) {
                    for (int ox = 0; ox < s.outWidth(); ox++) {
                        for (int c = 0; c < s.inChannels(); c++) {
                            for (int ky = 0; ky < s.kernel(); ky++) {
                                for (int kx = 0; kx < s.kernel(); kx++) {
                                    int iy = oy * s.stride() - s.padding() + ky;
                                    int ix = ox * s.stride() - s.padding() + kx;
                                    if (iy >= 0 && iy < s.height() && ix >= 0 && ix < s.width()) {
                                        tap.accept(n, o, oy, ox, c, ky, kx, iy, ix);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static int at(ChannelShape s, int n, int c, int p) {
        return (n * s.channels() + c) * s.pixels() + p;
    }

    @Override
    public void batchNormTraining(ChannelShape s, Buffer x, Buffer gamma, Buffer beta, Buffer y, Buffer runningMean,
                                  Buffer runningVar, Buffer savedMean, Buffer savedInvStd, float momentum, float eps) {
        Checks.channels("batchNormTraining", s, x, y, gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        statistics(s, x, runningMean, runningVar, savedMean, savedInvStd, momentum, eps);
        RefBuffer rx = ref(x), ry = ref(y);
        for (int c = 0; c < s.channels(); c++) {
            double mean = ref(savedMean).get(c), invStd = ref(savedInvStd).get(c);
            for (int n = 0; n < s.batch(); n++) {
                for (int p = 0; p < s.pixels(); p++) {
                    int i = at(s, n, c, p);
                    ry.set(i, (rx.get(i) - mean) * invStd * ref(gamma).get(c) + ref(beta).get(c));
                }
            }
        }
    }

    /** Each channel's batch mean and 1/√(biased variance + eps), saved; the running statistics updated. */
    private static void statistics(ChannelShape s, Buffer x, Buffer runningMean, Buffer runningVar, Buffer savedMean,
                                   Buffer savedInvStd, float momentum, float eps) {
        RefBuffer rx = ref(x);
        int m = s.perChannel();
        for (int c = 0; c < s.channels(); c++) {
            double sum = 0;
            for (int n = 0; n < s.batch(); n++) {
                for (int p = 0; p < s.pixels(); p++) {
                    sum += rx.get(at(s, n, c, p));
                }
            }
            double mean = sum / m;
            double squares = 0;
            for (int n = 0; n < s.batch(); n++) {
                for (int p = 0; p < s.pixels(); p++) {
                    double d = rx.get(at(s, n, c, p)) - mean;
                    squares += d * d;
                }
            }
            double variance = squares / m;
            double unbiased = m > 1 ? squares / (m - 1) : variance;
            ref(runningMean).set(c, (1 - momentum) * ref(runningMean).get(c) + momentum * mean);
            ref(runningVar).set(c, (1 - momentum) * ref(runningVar).get(c) + momentum * unbiased);
            ref(savedMean).set(c, mean);
            ref(savedInvStd).set(c, 1 / Math.sqrt(variance + eps));
        }
    }

    @Override
    public void batchNormInference(ChannelShape s, Buffer x, Buffer gamma, Buffer beta, Buffer y,
                                   Buffer runningMean, Buffer runningVar, float eps) {
        Checks.channels("batchNormInference", s, x, y, gamma, beta, runningMean, runningVar);
        RefBuffer rx = ref(x), ry = ref(y);
        for (int c = 0; c < s.channels(); c++) {
            double invStd = 1 / Math.sqrt(ref(runningVar).get(c) + eps);
            for (int n = 0; n < s.batch(); n++) {
                for (int p = 0; p < s.pixels(); p++) {
                    int i = at(s, n, c, p);
                    ry.set(i, (rx.get(i) - ref(runningMean).get(c)) * invStd * ref(gamma).get(c) + ref(beta).get(c));
                }
            }
        }
    }

    @Override
    public void batchNormBackward(ChannelShape s, Buffer x, Buffer dy, Buffer gamma, Buffer savedMean,
                                  Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        Checks.channels("batchNormBackward", s, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
        RefBuffer rx = ref(x), rdy = ref(dy), rdx = ref(dx);
        int m = s.perChannel();
        for (int c = 0; c < s.channels(); c++) {
            double mean = ref(savedMean).get(c), invStd = ref(savedInvStd).get(c);
            double sumDy = 0, sumDyXhat = 0;
            for (int n = 0; n < s.batch(); n++) {
                for (int p = 0; p < s.pixels(); p++) {
                    int i = at(s, n, c, p);
                    sumDy += rdy.get(i);
                    sumDyXhat += rdy.get(i) * (rx.get(i) - mean) * invStd;
                }
            }
            double g = ref(gamma).get(c);
            for (int n = 0; n < s.batch(); n++) {
                for (int p = 0; p < s.pixels(); p++) {
                    int i = at(s, n, c, p);
                    double xhat = (rx.get(i) - mean) * invStd;
                    rdx.set(i, g * invStd * (rdy.get(i) - sumDy / m - xhat * sumDyXhat / m));
                }
            }
            ref(dgamma).set(c, ref(dgamma).get(c) + sumDyXhat);
            ref(dbeta).set(c, ref(dbeta).get(c) + sumDy);
        }
    }

    @Override
    public void globalAvgPool(ChannelShape s, Buffer x, Buffer y) {
        Checks.pooling("globalAvgPool", s, "x", x, "y", y);
        RefBuffer rx = ref(x), ry = ref(y);
        for (int n = 0; n < s.batch(); n++) {
            for (int c = 0; c < s.channels(); c++) {
                double sum = 0;
                for (int p = 0; p < s.pixels(); p++) {
                    sum += rx.get(at(s, n, c, p));
                }
                ry.set(n * s.channels() + c, sum / s.pixels());
            }
        }
    }

    @Override
    public void globalAvgPoolBackward(ChannelShape s, Buffer dy, Buffer dx) {
        Checks.pooling("globalAvgPoolBackward", s, "dx", dx, "dy", dy);
        RefBuffer rdy = ref(dy), rdx = ref(dx);
        for (int n = 0; n < s.batch(); n++) {
            for (int c = 0; c < s.channels(); c++) {
                for (int p = 0; p < s.pixels(); p++) {
                    rdx.set(at(s, n, c, p), rdy.get(n * s.channels() + c) / s.pixels());
                }
            }
        }
    }

    @Override
    public void softmaxCrossEntropy(int batch, int classes, Buffer logits, Buffer labels, Buffer dlogits, Buffer stats) {
        Checks.crossEntropy(batch, classes, logits, labels, dlogits, stats);
        RefBuffer rl = ref(logits), rd = ref(dlogits);
        double loss = 0;
        int correct = 0;
        for (int n = 0; n < batch; n++) {
            int label = Checks.index("softmaxCrossEntropy", "label", ref(labels).get(n), classes);
            double max = Double.NEGATIVE_INFINITY;
            int argmax = 0;
            for (int c = 0; c < classes; c++) {
                if (rl.get(n * classes + c) > max) {
                    max = rl.get(n * classes + c);
                    argmax = c;
                }
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(rl.get(n * classes + c) - max);
            }
            loss += Math.log(sum) + max - rl.get(n * classes + label);
            correct += argmax == label ? 1 : 0;
            for (int c = 0; c < classes; c++) {
                double p = Math.exp(rl.get(n * classes + c) - max) / sum;
                rd.set(n * classes + c, (p - (c == label ? 1 : 0)) / batch);
            }
        }
        ref(stats).set(0, ref(stats).get(0) + loss);
        ref(stats).set(1, ref(stats).get(1) + correct);
    }

    @Override
    public void close() {}
}
