package ember.backend.cpu;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ChannelShape;
import ember.backend.Checks;
import ember.backend.ConvShape;
import ember.backend.NormReluConv;
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
    private final Scratch scratch;

    /** blasNames: libraries to try, or empty to use Java loops without looking. */
    CpuBackend(int threads, java.util.List<String> blasNames) {
        this.parallel = new Parallel(threads);
        this.scratch = new Scratch(threads);
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
        return "cpu (" + parallel.threads() + " threads, " + Simd.describe() + ", " + Alignment.describe() + ", GEMM: "
                + gemm.describe() + ")"
                + gemmNote;
    }

    @Override
    public Buffer allocate(int length) {
        allocations.incrementAndGet();
        return new CpuBuffer(length);
    }

    @Override
    public void write(Buffer dst, float[] src) {
        CpuBuffer d = CpuBuffer.of(dst);
        if (src.length < d.length()) {
            throw new IllegalArgumentException("write: " + src.length + " values into a buffer of " + d.length());
        }
        System.arraycopy(src, 0, d.data, d.offset(), d.length());
    }

    @Override
    public void read(Buffer src, float[] dst) {
        CpuBuffer s = CpuBuffer.of(src);
        System.arraycopy(s.data, s.offset(), dst, 0, s.length());
    }

    @Override
    public void copy(Buffer src, Buffer dst) {
        Checks.sameLength("copy", src, dst);
        Checks.disjoint("copy", "src", src, "dst", dst);
        CpuBuffer s = CpuBuffer.of(src), d = CpuBuffer.of(dst);
        // A thread per core, as every elementwise op: one core alone cannot draw the memory's bandwidth.
        parallel.range(s.length(), ELEMENTWISE_GRAIN, (from, to) ->
                System.arraycopy(s.data, s.offset() + from, d.data, d.offset() + from, to - from));
    }

    @Override
    public void writeActivations(Buffer dst, float[] src, int height, int width) {
        CpuBuffer d = CpuBuffer.of(dst);
        int plane = height * width, planes = planes("writeActivations", d.length(), height, width);
        if (src.length < d.length()) {
            throw new IllegalArgumentException("writeActivations: " + src.length + " values into a buffer of " + d.length());
        }
        parallel.range(planes, ELEMENTWISE_GRAIN / plane + 1, (from, to) ->
                PhasePlanes.store(src, from * plane, d.data, d.offset() + from * plane, to - from, height, width));
    }

    @Override
    public void readActivations(Buffer src, float[] dst, int height, int width) {
        CpuBuffer s = CpuBuffer.of(src);
        int plane = height * width, planes = planes("readActivations", s.length(), height, width);
        parallel.range(planes, ELEMENTWISE_GRAIN / plane + 1, (from, to) ->
                PhasePlanes.load(s.data, s.offset() + from * plane, dst, from * plane, to - from, height, width));
    }

    private static int planes(String op, int length, int height, int width) {
        if (length % (height * width) != 0) {
            throw new IllegalArgumentException(op + ": a buffer of " + length + " values is not whole planes of "
                    + height + "x" + width);
        }
        return length / (height * width);
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
        CpuBuffer cx = CpuBuffer.of(x), cdy = CpuBuffer.of(dy), cdx = CpuBuffer.of(dx);
        parallel.range(x.length(), ELEMENTWISE_GRAIN, (from, to) -> VectorMath.reluBackward(
                cx.data, cx.offset() + from, cdy.data, cdy.offset() + from, cdx.data, cdx.offset() + from, to - from));
    }

    @Override
    public void tanh(Buffer x, Buffer y) {
        Checks.sameLength("tanh", x, y);
        float[] xd = CpuBuffer.of(x).data, yd = CpuBuffer.of(y).data;
        int xo = CpuBuffer.of(x).offset(), yo = CpuBuffer.of(y).offset();
        parallel.range(x.length(), ELEMENTWISE_GRAIN / 8, (from, to) -> {
            for (int i = from; i < to; i++) {
                yd[yo + i] = fastTanh(xd[xo + i]);
            }
        });
    }

    /**
     * tanh through the exp intrinsic, several times faster than Math.tanh and, computed in
     * double, within half an ulp of float after rounding: 1 − 2/(e^{2x} + 1).
     */
    static float fastTanh(float x) {
        if (Math.abs(x) < 0x1p-12f) {
            return x; // tanh x = x − x³/3: the cubic term is below float precision, and the formula would cancel
        }
        return (float) (1 - 2 / (Math.exp(2.0 * x) + 1));
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
    public void sgdStep(Buffer params, Buffer grads, Buffer velocity, Buffer learningRate, float momentum,
                        float weightDecay) {
        Checks.sameLength("sgdStep", params, grads);
        float lr = CpuBuffer.of(learningRate).data[CpuBuffer.of(learningRate).offset()];
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
            int row = Checks.index("gatherRows", "index", idx.data[idx.offset() + i], rows);
            System.arraycopy(t.data, t.offset() + row * width, o.data, o.offset() + i * width, width);
        }
    }

    @Override
    public void add(Buffer a, Buffer b, Buffer y) {
        Checks.sameLength("add", a, b);
        Checks.sameLength("add", a, y);
        float[] ad = CpuBuffer.of(a).data, bd = CpuBuffer.of(b).data, yd = CpuBuffer.of(y).data;
        int ao = CpuBuffer.of(a).offset(), bo = CpuBuffer.of(b).offset(), yo = CpuBuffer.of(y).offset();
        parallel.range(a.length(), ELEMENTWISE_GRAIN, (from, to) ->
                VectorMath.add(ad, ao + from, bd, bo + from, yd, yo + from, to - from));
    }

    // Convolutions: the images are split across the workers. 3×3 stride-1 ones (all but three
    // of ResNet20's) run as Winograd F(4×4, 3×3) over groups of images; the others one image
    // at a time, unfolded into a patch matrix that stays in cache, times one single-threaded GEMM.

    @Override
    public void conv2d(ConvShape s, Buffer x, Buffer w, Buffer y) {
        conv2d(s, x, w, y, null);
    }

    /** With planeSums (else null), each output plane's sums are taken right after it is written. */
    @Override
    public void conv2d(ConvShape s, Buffer x, Buffer w, Buffer y, Buffer planeSums) {
        convolve(s, x, null, w, y, planeSums);
    }

    /**
     * {@link #conv2d(ConvShape, Buffer, Buffer, Buffer, Buffer)} of relu(x·xScale[c] + xShift[c])
     * per input channel c ({@link CpuNormReluConv}): the normalisation is applied as the images
     * are split into the Winograd planes (or unfolded), and its output is never written. The
     * scaling rounds as {@link #batchNormReluTraining}'s does where that takes the same scale and shift.
     */
    void conv2d(ConvShape s, Buffer x, Buffer xScale, Buffer xShift, Buffer w, Buffer y, Buffer planeSums) {
        convolve(s, x, inputAffine(s, x, xScale, xShift), w, y, planeSums);
    }

    /**
     * Per input channel c, scale and shift at 2c and 2c + 1, for the workers to read x through
     * (worker 0's scratch; ops never overlap).
     */
    private float[] inputAffine(ConvShape s, Buffer x, Buffer scale, Buffer shift) {
        ChannelShape in = s.input();
        Checks.channels("conv2d through a normalisation", in, x, x, scale, shift);
        CpuBuffer a = CpuBuffer.of(scale), b = CpuBuffer.of(shift);
        float[] affine = scratch.get(0, Scratch.INPUT_AFFINE, 2 * s.inChannels());
        for (int c = 0; c < s.inChannels(); c++) {
            affine[2 * c] = a.data[a.offset() + c];
            affine[2 * c + 1] = b.data[b.offset() + c];
        }
        return affine;
    }

    private void convolve(ConvShape s, Buffer x, float[] inputAffine, Buffer w, Buffer y, Buffer planeSums) {
        Checks.conv(s, x, w, y);
        int cols = s.outHeight() * s.outWidth(), outImage = s.outChannels() * cols;
        Checks.stats("conv2d", new ChannelShape(s.batch(), s.outChannels(), cols), y, planeSums);
        CpuBuffer cx = CpuBuffer.of(x), cw = CpuBuffer.of(w), cy = CpuBuffer.of(y);
        CpuBuffer sums = planeSums == null ? null : CpuBuffer.of(planeSums);
        // Each plane's sums, taken by whichever path writes the plane while it is in cache.
        PlaneEpilogue withSums = sums == null ? null : (n, o, at) -> VectorMath.planeSums(cy.data,
                cy.offset() + at, cols, sums.data, sums.offset() + 2 * (n * s.outChannels() + o));
        if (useDirect(s)) {
            direct(s, cx, inputAffine, cw, cy, withSums);
            return;
        }
        if (useWinograd(s)) {
            winograd(s.inChannels(), s.outChannels(), s, cx, inputAffine, cw, false, cy, null, withSums);
            return;
        }
        Unfolding unfolding = unfolding(s);
        int inImage = s.inChannels() * s.height() * s.width(), columns = unfolding.columns(), group = unfolding.group();
        parallel.eachTask((s.batch() + group - 1) / group, (worker, task) -> {
            int first = task * group, images = Math.min(group, s.batch() - first), ld = images * columns;
            float[] col = scratch.get(worker, Scratch.PATCHES, MATRIX_ORIGIN + s.patchSize() * ld);
            float[] planes = scratch.get(worker, Scratch.PHASE_PLANES, unfolding.planesSize());
            float[] flat = scratch.get(worker, Scratch.FLAT_OUTPUT, MATRIX_ORIGIN + s.outChannels() * ld);
            for (int g = 0; g < images; g++) {
                unfolding.unfold(cx.data, cx.offset() + (first + g) * inImage, inputAffine, planes, col, ld,
                        MATRIX_ORIGIN + g * columns);
            }
            gemm.sgemm(false, false, s.outChannels(), ld, s.patchSize(), 1f, cw.data, cw.offset(), s.patchSize(),
                    col, MATRIX_ORIGIN, ld, 0f, flat, MATRIX_ORIGIN, ld);
            for (int n = first; n < first + images; n++) {
                unfolding.gatherOutput(flat, ld, MATRIX_ORIGIN + (n - first) * columns, s.outChannels(), cy.data,
                        cy.offset() + n * outImage);
                if (withSums != null) {
                    for (int c = 0; c < s.outChannels(); c++) {
                        withSums.apply(n, c, n * outImage + c * cols);
                    }
                }
            }
        });
    }

    /**
     * For each plane of x (image n, channel c) two floats at 2(n·channels + c): the plane's sum
     * s, and its sum of squared deviations from s/pixels rounded to float: this backend's conv2d
     * stats, which its batch norms merge into the batch's statistics (accurate where |mean| ≫
     * std). The convolutions take them as they write each plane; this takes them afterwards.
     */
    void planeSums(ChannelShape s, Buffer x, Buffer sums) {
        Checks.stats("planeSums", s, x, sums);
        CpuBuffer cx = CpuBuffer.of(x), cs = CpuBuffer.of(sums);
        parallel.range(s.batch(), 1, (from, to) -> {
            for (int plane = from * s.channels(); plane < to * s.channels(); plane++) {
                VectorMath.planeSums(cx.data, cx.offset() + plane * s.pixels(), s.pixels(), cs.data,
                        cs.offset() + 2 * plane);
            }
        });
    }

    @Override
    public void conv2dBackwardData(ConvShape s, Buffer dy, Buffer w, Buffer dx) {
        Checks.conv(s, dx, w, dy);
        CpuBuffer cdy = CpuBuffer.of(dy), cw = CpuBuffer.of(w), cdx = CpuBuffer.of(dx);
        if (useWinograd(s)) {
            winograd(s.outChannels(), s.inChannels(), s, cdy, null, cw, true, cdx, null, null);
            return;
        }
        unfoldedBackward(s, null, null, cdy, cw, null, null, cdx, null);
    }

    /**
     * Where the im2col path's patch and output matrices start in their scratch: on a cache line
     * ({@link Alignment}), so that rows a whole number of vectors long are written in whole lines.
     */
    private static final int MATRIX_ORIGIN = Alignment.LEAD;

    /** The im2col path's plans, one per convolution shape (whatever the batch): made on a shape's first use. */
    private final java.util.Map<ConvShape, Unfolding> unfoldings = new java.util.concurrent.ConcurrentHashMap<>();

    private Unfolding unfolding(ConvShape s) {
        return unfoldings.computeIfAbsent(s.withBatch(1), Unfolding::of);
    }

    /**
     * Backward through the patch matrix, from one read of dy per group of images: with dw (else
     * null) dw += the weight gradient, x read through inputAffine unless that is null; with dx
     * (else null) backward-data, then dx += dxPlus, and with after (else null) each plane of dx
     * through after (its image and channel in the batch, its offset from dx's first value),
     * image by image while in cache. The batch is split into a fixed number of
     * chunks ({@link #weightGradientChunks}), whichever workers run them: each sums its groups
     * into a partial dW of its own (disjoint parts of one array), and the partials are added in
     * chunk order, so the sums do not depend on the schedule.
     */
    private void unfoldedBackward(ConvShape s, CpuBuffer x, float[] inputAffine, CpuBuffer dy, CpuBuffer w,
                                  CpuBuffer dxPlus, PlaneEpilogue after, CpuBuffer dx, CpuBuffer dw) {
        Unfolding unfolding = unfolding(s);
        int inPlane = s.height() * s.width(), inImage = s.inChannels() * inPlane;
        int outImage = s.outChannels() * s.outHeight() * s.outWidth(), columns = unfolding.columns();
        int group = unfolding.group(), patch = s.patchSize();
        int chunks = weightGradientChunks(s.batch()), size = s.weightSize();
        float[] partials = dw == null ? null : scratch.get(0, Scratch.PARTIAL_SUMS, chunks * size);
        parallel.eachTask(chunks, (worker, chunk) -> {
            float[] planes = scratch.get(worker, Scratch.PHASE_PLANES, unfolding.planesSize());
            int start = s.batch() * chunk / chunks, end = s.batch() * (chunk + 1) / chunks;
            for (int first = start; first < end; first += group) {
                int images = Math.min(group, end - first), ld = images * columns;
                float[] col = scratch.get(worker, Scratch.PATCHES, MATRIX_ORIGIN + patch * ld);
                float[] flat = scratch.get(worker, Scratch.FLAT_OUTPUT, MATRIX_ORIGIN + s.outChannels() * ld);
                for (int g = 0; g < images; g++) {
                    unfolding.scatterOutput(dy.data, dy.offset() + (first + g) * outImage, s.outChannels(), flat, ld,
                            MATRIX_ORIGIN + g * columns);
                }
                if (dw != null) {
                    for (int g = 0; g < images; g++) {
                        unfolding.unfold(x.data, x.offset() + (first + g) * inImage, inputAffine, planes, col, ld,
                                MATRIX_ORIGIN + g * columns);
                    }
                    gemm.sgemm(false, true, s.outChannels(), patch, ld, 1f, flat, MATRIX_ORIGIN, ld, col, MATRIX_ORIGIN,
                            ld, first == start ? 0f : 1f, partials, chunk * size, patch);
                }
                if (dx == null) {
                    continue;
                }
                gemm.sgemm(true, false, patch, ld, s.outChannels(), 1f, w.data, w.offset(), patch, flat, MATRIX_ORIGIN,
                        ld, 0f, col, MATRIX_ORIGIN, ld);
                for (int n = first; n < first + images; n++) {
                    int at = dx.offset() + n * inImage;
                    unfolding.fold(col, ld, MATRIX_ORIGIN + (n - first) * columns, planes, dx.data, at);
                    if (dxPlus != null) {
                        VectorMath.add(dx.data, at, dxPlus.data, dxPlus.offset() + n * inImage, dx.data, at, inImage);
                    }
                    if (after != null) {
                        for (int c = 0; c < s.inChannels(); c++) {
                            after.apply(n, c, n * inImage + c * inPlane);
                        }
                    }
                }
            }
        });
        if (dw != null) {
            addPartials(partials, chunks, size, dw);
        }
    }

    /** dw += the chunks' partial weight gradients (size floats each, one after another), in chunk order. */
    private static void addPartials(float[] partials, int chunks, int size, CpuBuffer dw) {
        for (int chunk = 0; chunk < chunks; chunk++) {
            VectorMath.add(dw.data, dw.offset(), partials, chunk * size, dw.data, dw.offset(), size);
        }
    }

    /** (out, in) channel pairs below which transforming weights is not worth splitting. */
    private static final int WEIGHT_PAIRS_GRAIN = 64;

    /** "auto" (fast 3×3 paths where they apply) or "never" (im2col + GEMM only); for benchmarks. */
    private static final String FAST_CONV = System.getProperty("ember.fastConv", "auto");

    /** 3×3 stride-1 convolutions whose 4×4 tiles cover the image. */
    private static boolean useWinograd(ConvShape s) {
        return s.kernel() == 3 && s.stride() == 1 && s.padding() == 1 && Winograd3x3.fits(s.height(), s.width())
                && !FAST_CONV.equals("never");
    }

    /** 3×3 stride-1 convolutions of few input channels (the stem) whose phase planes hold whole tiles. */
    private static boolean useDirect(ConvShape s) {
        return useWinograd(s) && DirectConv3x3.fits(s.inChannels(), s.outChannels(), s.height(), s.width());
    }

    /** Plans of {@link DirectConv3x3}, one per convolution shape (whatever the batch): made on a shape's first use. */
    private final java.util.Map<ConvShape, DirectConv3x3.Plan> directPlans = new java.util.concurrent.ConcurrentHashMap<>();

    private DirectConv3x3.Plan directPlan(ConvShape s) {
        return directPlans.computeIfAbsent(s.withBatch(1), k -> DirectConv3x3.Plan.of(k.height(), k.width()));
    }

    /**
     * {@link DirectConv3x3}'s forward, image by image, x read through inputAffine unless that is
     * null, each plane of y through after (unless null) once its image is written.
     */
    private void direct(ConvShape s, CpuBuffer x, float[] inputAffine, CpuBuffer w, CpuBuffer y, PlaneEpilogue after) {
        DirectConv3x3.Plan plan = directPlan(s);
        int inC = s.inChannels(), outC = s.outChannels(), plane = s.height() * s.width();
        parallel.eachTask(s.batch(), (worker, n) -> {
            float[] padded = scratch.get(worker, Scratch.PADDED, inC * plan.paddedChannel());
            DirectConv3x3.pad(plan, inC, x.data, x.offset() + n * inC * plane, inputAffine, padded, 0);
            DirectConv3x3.forward(plan, inC, outC, padded, w.data, w.offset(), y.data, y.offset() + n * outC * plane);
            if (after != null) {
                for (int c = 0; c < outC; c++) {
                    after.apply(n, c, (n * outC + c) * plane);
                }
            }
        });
    }

    /**
     * dw += {@link DirectConv3x3}'s weight gradient, x read through inputAffine unless that is
     * null: the batch in {@link #weightGradientChunks} chunks, each summed into a partial of its
     * own, the partials added in chunk order.
     */
    private void directFilterGradient(ConvShape s, CpuBuffer x, float[] inputAffine, CpuBuffer dy, CpuBuffer dw) {
        DirectConv3x3.Plan plan = directPlan(s);
        int inC = s.inChannels(), outC = s.outChannels(), plane = s.height() * s.width(), size = s.weightSize();
        int chunks = weightGradientChunks(s.batch());
        float[] partials = scratch.get(0, Scratch.PARTIAL_SUMS, chunks * size);
        parallel.eachTask(chunks, (worker, chunk) -> {
            int first = s.batch() * chunk / chunks, images = s.batch() * (chunk + 1) / chunks - first;
            int imageStride = inC * plan.paddedChannel();
            float[] padded = scratch.get(worker, Scratch.PADDED, images * imageStride);
            for (int g = 0; g < images; g++) {
                DirectConv3x3.pad(plan, inC, x.data, x.offset() + (first + g) * inC * plane, inputAffine, padded,
                        g * imageStride);
            }
            float[] lanes = scratch.get(worker, Scratch.BLOCKS, DirectConv3x3.laneSums(inC, outC));
            DirectConv3x3.filterGradient(plan, inC, outC, images, padded, dy.data, dy.offset() + first * outC * plane,
                    lanes, partials, chunk * size);
        });
        addPartials(partials, chunks, size, dw);
    }

    /**
     * Groups of images taken in turn by the workers: inC planes of src (read through
     * inputAffine unless null) convolved into outC planes of dst, + plus unless that is null,
     * each plane of dst through after (unless null) as soon as it is written. flip selects
     * backward-data (dy in, dx out, weights transposed and flipped).
     */
    private void winograd(int inC, int outC, ConvShape s, CpuBuffer src, float[] inputAffine, CpuBuffer w,
                          boolean flip, CpuBuffer dst, CpuBuffer plus, PlaneEpilogue after) {
        int h = s.height(), wd = s.width(), inImage = inC * h * wd, outImage = outC * h * wd;
        int group = Winograd3x3.group(h, wd);
        float[] packed = packWeights(inC, outC, w, flip);
        clearPlanes(h, wd);
        parallel.eachTask(groups(s), (worker, t) -> {
            int n = t * group;
            float[] planes = scratch.get(worker, Scratch.PADDED, Winograd3x3.planesSize(h, wd));
            float[] transformed = scratch.get(worker, Scratch.COLUMNS, Winograd3x3.transformedSize(inC, h, wd));
            float[] products = scratch.get(worker, Scratch.PRODUCTS, Winograd3x3.transformedSize(outC, h, wd));
            float[] blocks = scratch.get(worker, Scratch.BLOCKS, Winograd3x3.blocksSize(h, wd));
            float[] pass = scratch.get(worker, Scratch.TRANSFORM_PASS, Winograd3x3.passSize(h, wd));
            PlaneEpilogue afterPlane = after == null ? null : (g, c, at) -> after.apply(n + g, c, n * outImage + at);
            Winograd3x3.convolve(inC, outC, h, wd, src.data, src.offset() + n * inImage, Math.min(group, s.batch() - n),
                    inputAffine, packed, planes, transformed, products, blocks, pass, dst.data,
                    dst.offset() + n * outImage, plus == null ? null : plus.data,
                    plus == null ? 0 : plus.offset() + n * outImage, afterPlane);
        });
    }

    /** Winograd groups of a batch, the last one possibly part-filled. */
    private static int groups(ConvShape s) {
        int group = Winograd3x3.group(s.height(), s.width());
        return (s.batch() + group - 1) / group;
    }

    /** Every worker's planes zeroed for this shape, before any takes a group: copies then only rewrite the interiors. */
    private void clearPlanes(int h, int wd) {
        for (int worker = 0; worker < parallel.threads(); worker++) {
            Winograd3x3.clearPlanes(scratch.get(worker, Scratch.PADDED, Winograd3x3.planesSize(h, wd)), h, wd);
        }
    }

    /** The weights' Winograd transforms, as the kernel mixing inC channels into outC reads them. */
    private float[] packWeights(int inC, int outC, CpuBuffer w, boolean flip) {
        float[] packed = scratch.get(0, Scratch.PACKED_WEIGHTS, Winograd3x3.POINTS * outC * inC);
        // Both workers pack, or one core would idle through it (~3 % of a step).
        parallel.range(outC, Math.max(1, WEIGHT_PAIRS_GRAIN / inC), (from, to) ->
                Winograd3x3.transformWeights(w.data, w.offset(), outC, inC, flip, packed, from, to));
        return packed;
    }

    @Override
    public void conv2dBackward(ConvShape s, Buffer x, Buffer dy, Buffer w, Buffer dxPlus, boolean throughRelu,
                               Buffer dx, Buffer dw) {
        Checks.conv(s, dx, w, dy);
        Checks.conv(s, x, dw, dy);
        CpuBuffer plus = null;
        if (dxPlus != null) {
            Checks.sameLength("conv2dBackward", dx, dxPlus);
            Checks.disjoint("conv2dBackward", "dxPlus", dxPlus, "dx", dx);
            plus = CpuBuffer.of(dxPlus);
        }
        CpuBuffer cx = CpuBuffer.of(x), cdx = CpuBuffer.of(dx);
        int plane = s.height() * s.width();
        PlaneEpilogue relu = !throughRelu ? null : (n, c, at) -> VectorMath.reluBackward(cx.data, cx.offset() + at,
                cdx.data, cdx.offset() + at, cdx.data, cdx.offset() + at, plane);
        if (!useWinograd(s)) {
            unfoldedBackward(s, cx, null, CpuBuffer.of(dy), CpuBuffer.of(w), plus, relu, cdx, CpuBuffer.of(dw));
            return;
        }
        winogradBackward(s, cx, null, CpuBuffer.of(dy), CpuBuffer.of(w), plus, relu, cdx, CpuBuffer.of(dw));
    }

    /**
     * {@link #conv2dBackward} (no dxPlus, not through a ReLU) of the convolution of
     * relu(x·xScale + xShift): dx is the gradient for that normalised input, dw accumulates.
     * With normSums (else null; 2·batch·inChannels floats), each plane (n, c) of dx leaves at
     * 2(n·inChannels + c) the two sums that the batch norm + ReLU's backward takes from it
     * ({@link VectorMath#maskedGradientSums}, x centred on xMean[c]), while it is in cache.
     */
    void conv2dBackward(ConvShape s, Buffer x, Buffer xScale, Buffer xShift, Buffer xMean, Buffer dy, Buffer w,
                        Buffer dx, Buffer dw, float[] normSums) {
        Checks.conv(s, dx, w, dy);
        Checks.conv(s, x, dw, dy);
        float[] affine = inputAffine(s, x, xScale, xShift);
        CpuBuffer cx = CpuBuffer.of(x), cdx = CpuBuffer.of(dx), mean = CpuBuffer.of(xMean);
        int inC = s.inChannels(), plane = s.height() * s.width();
        if (normSums != null) {
            Checks.channels("conv2dBackward through a normalisation", s.input(), x, x, xMean);
            if (normSums.length < 2 * s.batch() * inC) {
                throw new IllegalArgumentException("conv2dBackward: normSums holds " + normSums.length
                        + " floats, fewer than the 2 per input plane of " + s);
            }
        }
        PlaneEpilogue sums = normSums == null ? null : (n, c, at) -> VectorMath.maskedGradientSums(cdx.data,
                cdx.offset() + at, cx.data, cx.offset() + at, plane, affine[2 * c], affine[2 * c + 1],
                mean.data[mean.offset() + c], normSums, 2 * (n * inC + c));
        if (!useWinograd(s)) {
            unfoldedBackward(s, cx, affine, CpuBuffer.of(dy), CpuBuffer.of(w), null, sums, cdx, CpuBuffer.of(dw));
            return;
        }
        winogradBackward(s, cx, affine, CpuBuffer.of(dy), CpuBuffer.of(w), null, sums, cdx, CpuBuffer.of(dw));
    }

    @Override
    public void conv2dBackwardFilter(ConvShape s, Buffer x, Buffer dy, Buffer dw) {
        Checks.conv(s, x, dw, dy);
        filterGradient(s, CpuBuffer.of(x), null, CpuBuffer.of(dy), CpuBuffer.of(dw));
    }

    /** dw += the weight gradient, x read through inputAffine unless that is null. */
    private void filterGradient(ConvShape s, CpuBuffer cx, float[] inputAffine, CpuBuffer cdy, CpuBuffer cdw) {
        if (useDirect(s)) {
            directFilterGradient(s, cx, inputAffine, cdy, cdw);
            return;
        }
        if (useWinograd(s)) {
            winogradFilterGradient(s, cx, inputAffine, cdy, cdw);
            return;
        }
        unfoldedBackward(s, cx, inputAffine, cdy, null, null, null, null, cdw);
    }

    /** Chunks of a weight gradient: enough for two workers to even out, few enough to add up cheaply. */
    private static final int WEIGHT_GRADIENT_CHUNKS = 8;

    /**
     * Chunks to split a weight gradient's tasks (images or groups) into: {@link
     * #WEIGHT_GRADIENT_CHUNKS}, or one per worker where there are more workers (with 8 chunks, a
     * 16-core machine ran its backward pass on half its cores). Up to 8 workers the chunks, and
     * so the sums' bits, are the same whatever the thread count.
     */
    private int weightGradientChunks(int tasks) {
        return Math.min(tasks, Math.max(WEIGHT_GRADIENT_CHUNKS, parallel.threads()));
    }

    /**
     * The weight gradient (x read through inputAffine unless that is null), then backward-data:
     * dx (+ dxPlus unless that is null), each plane of dx through after unless that is null, as
     * {@link #unfoldedBackward} does. Two passes over the groups, dy transformed in each: done in
     * one, a group kept four transformed arrays (0.66 MB each at 32 channels of 16×16, past a
     * 2 MB L2), and that backward ran 12–16 % slower; 16 channels of 32×32, whose groups fit,
     * lose a little to the second transform (docs/exp2.md).
     */
    private void winogradBackward(ConvShape s, CpuBuffer x, float[] inputAffine, CpuBuffer dy, CpuBuffer w,
                                  CpuBuffer dxPlus, PlaneEpilogue after, CpuBuffer dx, CpuBuffer dw) {
        winogradFilterGradient(s, x, inputAffine, dy, dw);
        winograd(s.outChannels(), s.inChannels(), s, dy, null, w, true, dx, dxPlus, after);
    }

    /**
     * dw += the weight gradient, x read through inputAffine unless that is null. The groups are
     * split into a fixed number of chunks ({@link #weightGradientChunks}), which the workers take
     * in turn; each chunk sums its groups' transformed dU into a slot of its own, and the slots
     * are added in chunk order at the end (so the result does not depend on the schedule) and
     * transformed into dw.
     */
    private void winogradFilterGradient(ConvShape s, CpuBuffer x, float[] inputAffine, CpuBuffer dy, CpuBuffer dw) {
        int inC = s.inChannels(), outC = s.outChannels(), h = s.height(), wd = s.width();
        int inImage = inC * h * wd, outImage = outC * h * wd, group = Winograd3x3.group(h, wd), groups = groups(s);
        int sumsSize = Winograd3x3.POINTS * outC * inC, chunks = weightGradientChunks(groups);
        // One array for every chunk's slot (worker 0's scratch): chunks write disjoint parts.
        float[] slots = scratch.get(0, Scratch.PARTIAL_SUMS, chunks * sumsSize);
        clearPlanes(h, wd);
        parallel.eachTask(chunks, (worker, chunk) -> {
            float[] planes = scratch.get(worker, Scratch.PADDED, Winograd3x3.planesSize(h, wd));
            float[] pass = scratch.get(worker, Scratch.TRANSFORM_PASS, Winograd3x3.passSize(h, wd));
            float[] inputs = scratch.get(worker, Scratch.COLUMNS, Winograd3x3.transformedSize(inC, h, wd));
            float[] gradients = scratch.get(worker, Scratch.PRODUCTS, Winograd3x3.transformedSize(outC, h, wd));
            int first = groups * chunk / chunks, end = groups * (chunk + 1) / chunks;
            for (int t = first; t < end; t++) {
                int n = t * group, images = Math.min(group, s.batch() - n);
                WinogradFilterGradient.accumulate(inC, outC, h, wd, x.data, x.offset() + n * inImage, inputAffine,
                        dy.data, dy.offset() + n * outImage, images, planes, pass, inputs, gradients,
                        slots, chunk * sumsSize, t > first, gemm);
            }
        });
        parallel.range(outC * inC, WEIGHT_PAIRS_GRAIN, (from, to) -> {
            WinogradFilterGradient.sumSlots(slots, chunks, outC, inC, from, to);
            WinogradFilterGradient.addToWeights(slots, outC, inC, dw.data, dw.offset(), from, to);
        });
    }

    // Batch normalisation: channels are independent, so they are split across threads.

    @Override
    public void batchNormTraining(ChannelShape s, Buffer x, Buffer gamma, Buffer beta, Buffer y, Buffer runningMean,
                                  Buffer runningVar, Buffer savedMean, Buffer savedInvStd, float momentum, float eps) {
        batchNormTraining(s, x, null, gamma, beta, y, runningMean, runningVar, savedMean, savedInvStd, momentum, eps);
    }

    /** planeSums: the stats this backend's conv2d left for x, or null to take them from x here. */
    @Override
    public void batchNormTraining(ChannelShape s, Buffer x, Buffer planeSums, Buffer gamma, Buffer beta, Buffer y,
                                  Buffer runningMean, Buffer runningVar, Buffer savedMean, Buffer savedInvStd,
                                  float momentum, float eps) {
        Checks.channels("batchNormTraining", s, x, y, gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        Checks.stats("batchNormTraining", s, x, planeSums);
        batchNorm(s, x, planeSums, gamma, beta, null, false, y, runningMean, runningVar, savedMean, savedInvStd,
                momentum, eps);
    }

    @Override
    public void batchNormReluTraining(ChannelShape s, Buffer x, Buffer planeSums, Buffer gamma, Buffer beta,
                                      Buffer residual, Buffer y, Buffer runningMean, Buffer runningVar,
                                      Buffer savedMean, Buffer savedInvStd, float momentum, float eps) {
        Checks.channels("batchNormReluTraining", s, x, y, gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        Checks.stats("batchNormReluTraining", s, x, planeSums);
        if (residual != null) {
            Checks.channels("batchNormReluTraining", s, residual, y);
        }
        batchNorm(s, x, planeSums, gamma, beta, residual, true, y, runningMean, runningVar, savedMean, savedInvStd,
                momentum, eps);
    }

    /**
     * {@link #batchNormTraining}'s statistics (the same saved, the running ones updated; planeSums
     * as there), leaving instead of y the per-channel scale = gamma·invStd and shift = beta −
     * mean·scale, for the convolution that reads x next to apply with a ReLU.
     */
    void batchNormTrainingScaleShift(ChannelShape s, Buffer x, Buffer planeSums, Buffer gamma, Buffer beta,
                                     Buffer runningMean, Buffer runningVar, Buffer savedMean, Buffer savedInvStd,
                                     Buffer scale, Buffer shift, float momentum, float eps) {
        Checks.channels("batchNormTrainingScaleShift", s, x, x, gamma, beta, runningMean, runningVar, savedMean,
                savedInvStd, scale, shift);
        Checks.stats("batchNormTrainingScaleShift", s, x, planeSums);
        CpuBuffer g = CpuBuffer.of(gamma), b = CpuBuffer.of(beta), sm = CpuBuffer.of(savedMean);
        CpuBuffer si = CpuBuffer.of(savedInvStd), a = CpuBuffer.of(scale), c = CpuBuffer.of(shift);
        float[] sums = statisticsSource(s, planeSums);
        int sumsOff = planeSums != null ? CpuBuffer.of(planeSums).offset() : 0;
        parallel.range(s.channels(), 1, (from, to) -> {
            statistics(s, x, planeSums == null, sums, sumsOff, runningMean, runningVar, savedMean, savedInvStd,
                    momentum, eps, from, to);
            for (int ch = from; ch < to; ch++) {
                float channelScale = scale(g.data[g.offset() + ch], si.data[si.offset() + ch]);
                a.data[a.offset() + ch] = channelScale;
                c.data[c.offset() + ch] = shift(b.data[b.offset() + ch], sm.data[sm.offset() + ch], channelScale);
            }
        });
    }

    /** Batch norm in training mode, then (with relu) the residual added and the ReLU, plane by plane. */
    private void batchNorm(ChannelShape s, Buffer x, Buffer planeSums, Buffer gamma, Buffer beta, Buffer residual,
                           boolean relu, Buffer y, Buffer runningMean, Buffer runningVar, Buffer savedMean,
                           Buffer savedInvStd, float momentum, float eps) {
        CpuBuffer cx = CpuBuffer.of(x), cy = CpuBuffer.of(y), g = CpuBuffer.of(gamma), b = CpuBuffer.of(beta);
        CpuBuffer sm = CpuBuffer.of(savedMean), si = CpuBuffer.of(savedInvStd);
        float[] r = residual == null ? null : CpuBuffer.of(residual).data;
        int rOff = residual == null ? 0 : CpuBuffer.of(residual).offset(), pixels = s.pixels(), channels = s.channels();
        float[] sums = statisticsSource(s, planeSums);
        int sumsOff = planeSums != null ? CpuBuffer.of(planeSums).offset() : 0;
        parallel.range(channels, 1, (from, to) -> {
            statistics(s, x, planeSums == null, sums, sumsOff, runningMean, runningVar, savedMean, savedInvStd,
                    momentum, eps, from, to);
            for (int n = 0; n < s.batch(); n++) {
                for (int c = from; c < to; c++) {
                    float scale = scale(g.data[g.offset() + c], si.data[si.offset() + c]);
                    float shift = shift(b.data[b.offset() + c], sm.data[sm.offset() + c], scale);
                    int plane = (n * channels + c) * pixels;
                    if (relu) {
                        VectorMath.scaleShiftRelu(cx.data, cx.offset() + plane, r, rOff + plane, cy.data,
                                cy.offset() + plane, pixels, scale, shift);
                    } else {
                        VectorMath.scaleShift(cx.data, cx.offset() + plane, cy.data, cy.offset() + plane, pixels,
                                scale, shift);
                    }
                }
            }
        });
    }

    /**
     * The array batch norm's statistics start from: planeSums's, or (when that is null) worker
     * 0's scratch, which {@link #statistics} then fills (tasks fill disjoint parts).
     */
    private float[] statisticsSource(ChannelShape s, Buffer planeSums) {
        return planeSums != null ? CpuBuffer.of(planeSums).data
                : scratch.get(0, Scratch.PARTIAL_SUMS, 2 * s.batch() * s.channels());
    }

    /**
     * Channels [from, to)'s batch statistics merged from x's plane sums (taken here first when
     * take is set), saved, and the running statistics updated.
     */
    private static void statistics(ChannelShape s, Buffer x, boolean take, float[] sums, int sumsOff,
                                   Buffer runningMean, Buffer runningVar, Buffer savedMean, Buffer savedInvStd,
                                   float momentum, float eps, int from, int to) {
        CpuBuffer cx = CpuBuffer.of(x), rm = CpuBuffer.of(runningMean), rv = CpuBuffer.of(runningVar);
        CpuBuffer sm = CpuBuffer.of(savedMean), si = CpuBuffer.of(savedInvStd);
        int m = s.perChannel(), pixels = s.pixels(), channels = s.channels();
        if (take) {
            // Image by image, so that a task reads its channels' planes of an image as one
            // run of memory (channel by channel, 64 channels of 8×8 were 256-byte reads 16 KB apart).
            for (int n = 0; n < s.batch(); n++) {
                for (int c = from; c < to; c++) {
                    int plane = n * channels + c;
                    VectorMath.planeSums(cx.data, cx.offset() + plane * pixels, pixels, sums, sumsOff + 2 * plane);
                }
            }
        }
        for (int c = from; c < to; c++) {
            // The planes' squared deviations (each around its own mean: accurate when
            // |mean| >> std) merged plane by plane exactly (Chan, Golub and LeVeque).
            double mean = 0, squares = 0;
            for (int n = 0; n < s.batch(); n++) {
                int at = sumsOff + 2 * (n * channels + c);
                double planeMean = sums[at] / (double) pixels;
                float around = (float) planeMean;
                double planeSquares = sums[at + 1] - pixels * (planeMean - around) * (planeMean - around);
                double delta = planeMean - mean, before = (double) n * pixels, after = before + pixels;
                mean = mean + delta * pixels / after;
                squares = squares + (planeSquares + delta * delta * before * pixels / after);
            }
            double unbiased = m > 1 ? squares / (m - 1) : squares / m;
            rm.data[rm.offset() + c] = (float) ((1 - momentum) * rm.data[rm.offset() + c] + momentum * mean);
            rv.data[rv.offset() + c] = (float) ((1 - momentum) * rv.data[rv.offset() + c] + momentum * unbiased);
            sm.data[sm.offset() + c] = (float) mean;
            si.data[si.offset() + c] = (float) (1 / Math.sqrt(Math.max(0, squares) / m + eps));
        }
    }

    /** Two doubles per channel for batch norm backward's running sums, reused across calls (ops never overlap). */
    private double[] channelSums(int channels) {
        if (channelSums.length < 2 * channels) {
            channelSums = new double[2 * channels];
        }
        return channelSums;
    }

    private double[] channelSums = new double[0];

    // Training-mode batch norm computes y = x·scale + shift from the statistics it saves, in
    // float, so that batchNormReluBackward recomputes the very same values, and so the very
    // same ReLU mask, from x instead of reading the forward's output.

    private static float scale(float gamma, float savedInvStd) {
        return gamma * savedInvStd;
    }

    private static float shift(float beta, float savedMean, float scale) {
        return beta - savedMean * scale;
    }

    @Override
    public void batchNormInference(ChannelShape s, Buffer x, Buffer gamma, Buffer beta, Buffer y,
                                   Buffer runningMean, Buffer runningVar, float eps) {
        Checks.channels("batchNormInference", s, x, y, gamma, beta, runningMean, runningVar);
        CpuBuffer cx = CpuBuffer.of(x), cy = CpuBuffer.of(y), g = CpuBuffer.of(gamma), b = CpuBuffer.of(beta);
        CpuBuffer rm = CpuBuffer.of(runningMean), rv = CpuBuffer.of(runningVar);
        int pixels = s.pixels(), channels = s.channels();
        parallel.range(channels, 1, (from, to) -> {
            for (int n = 0; n < s.batch(); n++) {
                for (int c = from; c < to; c++) {
                    float g0 = g.data[g.offset() + c], rv0 = rv.data[rv.offset() + c];
                    float scale = inferenceScale(g0, rv0, eps);
                    float shift = inferenceShift(b.data[b.offset() + c], rm.data[rm.offset() + c], g0, rv0, eps);
                    int plane = (n * channels + c) * pixels;
                    VectorMath.scaleShift(cx.data, cx.offset() + plane, cy.data, cy.offset() + plane, pixels, scale, shift);
                }
            }
        });
    }

    /** {@link #batchNormInference}'s scale = gamma/√(runningVar + eps) and shift = beta − runningMean·scale. */
    void batchNormInferenceScaleShift(Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, float eps,
                                      Buffer scale, Buffer shift) {
        Checks.channels("batchNormInferenceScaleShift", new ChannelShape(1, gamma.length(), 1), scale, shift, beta,
                runningMean, runningVar);
        CpuBuffer g = CpuBuffer.of(gamma), b = CpuBuffer.of(beta), rm = CpuBuffer.of(runningMean);
        CpuBuffer rv = CpuBuffer.of(runningVar), a = CpuBuffer.of(scale), c = CpuBuffer.of(shift);
        for (int ch = 0; ch < gamma.length(); ch++) {
            float g0 = g.data[g.offset() + ch], rv0 = rv.data[rv.offset() + ch];
            a.data[a.offset() + ch] = inferenceScale(g0, rv0, eps);
            c.data[c.offset() + ch] = inferenceShift(b.data[b.offset() + ch], rm.data[rm.offset() + ch], g0, rv0, eps);
        }
    }

    private static float inferenceScale(float gamma, float runningVar, float eps) {
        return (float) (1 / Math.sqrt(runningVar + eps) * gamma);
    }

    private static float inferenceShift(float beta, float runningMean, float gamma, float runningVar, float eps) {
        return (float) (beta - runningMean * (1 / Math.sqrt(runningVar + eps)) * gamma);
    }

    @Override
    public void batchNormBackward(ChannelShape s, Buffer x, Buffer dy, Buffer gamma, Buffer savedMean,
                                  Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        Checks.channels("batchNormBackward", s, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
        batchNormBackward(s, x, dy, gamma, null, savedMean, savedInvStd, dx, dgamma, dbeta, null);
    }

    /** The forward's output y is not read: the mask is recomputed from x (see batchNormBackward below). */
    @Override
    public void batchNormReluBackward(ChannelShape s, Buffer x, Buffer y, Buffer dy, Buffer gamma, Buffer beta,
                                      Buffer savedMean, Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        batchNormReluBackward(s, x, dy, gamma, beta, savedMean, savedInvStd, dx, dgamma, dbeta, (float[]) null);
    }

    /**
     * Backward of batch norm + ReLU (no residual) whose output was never written: the mask is
     * recomputed from x, the saved statistics, gamma and beta, and finds exactly the pixels the
     * forward zeroed. dy may be overwritten; dx is, and dgamma and dbeta accumulate. planeSums
     * (else null) are dy's sums as {@link #conv2dBackward} leaves them when it writes dy with
     * normSums: the pass that would take them from dy and x is skipped, with the same bits.
     */
    void batchNormReluBackward(ChannelShape s, Buffer x, Buffer dy, Buffer gamma, Buffer beta, Buffer savedMean,
                               Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta, float[] planeSums) {
        Checks.channels("batchNormReluBackward", s, x, dy, gamma, beta, savedMean, savedInvStd, dx, dgamma, dbeta);
        if (planeSums != null && planeSums.length < 2 * s.batch() * s.channels()) {
            throw new IllegalArgumentException("batchNormReluBackward: planeSums holds " + planeSums.length
                    + " floats, fewer than the 2 per plane of " + s);
        }
        batchNormBackward(s, x, dy, gamma, beta, savedMean, savedInvStd, dx, dgamma, dbeta, planeSums);
    }

    /**
     * Batch norm's backward; with beta, through the ReLU after it, whose mask (y > 0 where
     * x·scale + shift > 0) is recomputed from x: the forward's output is not read. With
     * planeSums (only with beta), each plane's two sums are read from there instead of taken.
     */
    private void batchNormBackward(ChannelShape s, Buffer x, Buffer dy, Buffer gamma, Buffer beta, Buffer savedMean,
                                   Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta, float[] planeSums) {
        CpuBuffer cx = CpuBuffer.of(x), cdy = CpuBuffer.of(dy), cdx = CpuBuffer.of(dx), g = CpuBuffer.of(gamma);
        CpuBuffer sm = CpuBuffer.of(savedMean), si = CpuBuffer.of(savedInvStd);
        CpuBuffer dg = CpuBuffer.of(dgamma), db = CpuBuffer.of(dbeta);
        boolean relu = beta != null;
        float[] be = relu ? CpuBuffer.of(beta).data : null;
        int beOff = relu ? CpuBuffer.of(beta).offset() : 0, m = s.perChannel(), pixels = s.pixels();
        int channels = s.channels();
        double[] sums = channelSums(channels);
        parallel.range(channels, 1, (from, to) -> {
            // Image by image, as in the forward.
            for (int n = 0; n < s.batch(); n++) {
                for (int c = from; c < to; c++) {
                    // γ·invStd scales dx, and with the shift it recomputes the forward's ReLU input.
                    float mean = sm.data[sm.offset() + c], scale = scale(g.data[g.offset() + c], si.data[si.offset() + c]);
                    int dyAt = cdy.offset() + (n * channels + c) * pixels, xAt = cx.offset() + (n * channels + c) * pixels;
                    double sumDy = n == 0 ? 0 : sums[2 * c], sumDyCentered = n == 0 ? 0 : sums[2 * c + 1];
                    if (planeSums != null) {
                        sumDy += planeSums[2 * (n * channels + c)];
                        sumDyCentered += planeSums[2 * (n * channels + c) + 1];
                    } else if (relu) {
                        float maskShift = shift(be[beOff + c], mean, scale);
                        sumDy += VectorMath.maskedSum(cdy.data, dyAt, cx.data, xAt, pixels, scale, maskShift);
                        sumDyCentered += VectorMath.maskedCenteredDot(cdy.data, dyAt, cx.data, xAt, pixels, scale,
                                maskShift, mean);
                    } else {
                        sumDy += VectorMath.sum(cdy.data, dyAt, pixels);
                        sumDyCentered += VectorMath.centeredDot(cdy.data, dyAt, cx.data, xAt, pixels, mean);
                    }
                    sums[2 * c] = sumDy;
                    sums[2 * c + 1] = sumDyCentered;
                }
            }
            for (int n = 0; n < s.batch(); n++) {
                for (int c = from; c < to; c++) {
                    float mean = sm.data[sm.offset() + c], invStd = si.data[si.offset() + c];
                    float scale = scale(g.data[g.offset() + c], invStd);
                    double sumDy = sums[2 * c], sumDyXhat = sums[2 * c + 1] * invStd;
                    // dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)), with x̂ = (x − mean)·invStd.
                    float onCentered = (float) (-scale * invStd * sumDyXhat / m);
                    float constant = (float) (-scale * sumDy / m);
                    int plane = (n * channels + c) * pixels;
                    if (relu) {
                        VectorMath.maskedAffine2(cdy.data, cdy.offset() + plane, cx.data, cx.offset() + plane,
                                cdx.data, cdx.offset() + plane, pixels, scale, onCentered, mean, constant, scale,
                                shift(be[beOff + c], mean, scale));
                    } else {
                        VectorMath.affine2(cdy.data, cdy.offset() + plane, cx.data, cx.offset() + plane, cdx.data,
                                cdx.offset() + plane, pixels, scale, onCentered, mean, constant);
                    }
                }
            }
            for (int c = from; c < to; c++) {
                dg.data[dg.offset() + c] += (float) (sums[2 * c + 1] * si.data[si.offset() + c]);
                db.data[db.offset() + c] += (float) sums[2 * c];
            }
        });
    }

    @Override
    public void globalAvgPool(ChannelShape s, Buffer x, Buffer y) {
        Checks.pooling("globalAvgPool", s, "x", x, "y", y);
        CpuBuffer cx = CpuBuffer.of(x), cy = CpuBuffer.of(y);
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            double sum = 0;
            int base = cx.offset() + plane * s.pixels();
            for (int p = 0; p < s.pixels(); p++) {
                sum += cx.data[base + p];
            }
            cy.data[cy.offset() + plane] = (float) (sum / s.pixels());
        }
    }

    @Override
    public void globalAvgPoolBackward(ChannelShape s, Buffer dy, Buffer dx) {
        Checks.pooling("globalAvgPoolBackward", s, "dx", dx, "dy", dy);
        CpuBuffer cdy = CpuBuffer.of(dy), cdx = CpuBuffer.of(dx);
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            int base = cdx.offset() + plane * s.pixels();
            java.util.Arrays.fill(cdx.data, base, base + s.pixels(), cdy.data[cdy.offset() + plane] / s.pixels());
        }
    }

    @Override
    public void softmaxCrossEntropy(int batch, int classes, Buffer logits, Buffer labels, Buffer dlogits, Buffer stats) {
        Checks.crossEntropy(batch, classes, logits, labels, dlogits, stats);
        CpuBuffer l = CpuBuffer.of(logits), y = CpuBuffer.of(labels), d = CpuBuffer.of(dlogits), st = CpuBuffer.of(stats);
        double loss = 0;
        int correct = 0;
        for (int n = 0; n < batch; n++) {
            int row = l.offset() + n * classes;
            int label = Checks.index("softmaxCrossEntropy", "label", y.data[y.offset() + n], classes);
            float max = Float.NEGATIVE_INFINITY;
            int argmax = 0;
            for (int c = 0; c < classes; c++) {
                if (l.data[row + c] > max) {
                    max = l.data[row + c];
                    argmax = c;
                }
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(l.data[row + c] - max);
            }
            loss += Math.log(sum) + max - l.data[row + label];
            correct += argmax == label ? 1 : 0;
            for (int c = 0; c < classes; c++) {
                double p = Math.exp(l.data[row + c] - max) / sum;
                d.data[d.offset() + n * classes + c] = (float) ((p - (c == label ? 1 : 0)) / batch);
            }
        }
        st.data[st.offset()] = (float) (st.data[st.offset()] + loss);
        st.data[st.offset() + 1] += correct;
    }

    /** The normalisation applied as the convolution reads x: relu(BN(x)) is never written. */
    @Override
    public NormReluConv normReluConv(ConvShape largest) {
        return new CpuNormReluConv(this, largest);
    }

    @Override
    public void close() {
        parallel.close();
    }
}
