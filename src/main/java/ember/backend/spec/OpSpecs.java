package ember.backend.spec;

import static ember.backend.Primitive.ADD;
import static ember.backend.Primitive.BATCH_NORM_BACKWARD;
import static ember.backend.Primitive.BATCH_NORM_TRAINING;
import static ember.backend.Primitive.CONV2D;
import static ember.backend.Primitive.CONV2D_BACKWARD_DATA;
import static ember.backend.Primitive.CONV2D_BACKWARD_FILTER;
import static ember.backend.Primitive.GEMM;
import static ember.backend.Primitive.GLOBAL_AVG_POOL;
import static ember.backend.Primitive.GLOBAL_AVG_POOL_BACKWARD;
import static ember.backend.Primitive.RELU;
import static ember.backend.Primitive.SGD_STEP;
import static ember.backend.Primitive.SOFTMAX_CROSS_ENTROPY;

import ember.backend.Buffer;
import ember.backend.ChannelShape;
import ember.backend.ConvShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The op specs: one factory per op, stating its FLOPs and bytes, and the catalogue the kernel
 * benchmarks time (ResNet20's ops at batch 128, training's GEMM shapes, and the peaks each
 * backend is measured against). The parity cases build ops from the same factories, and check
 * {@link #resnet20} at a small batch. FLOPs count a multiply-add as 2 and the textbook formula's
 * arithmetic; a convolution counts as direct convolution, whatever algorithm runs it. Outputs
 * an op overwrites start random too, so a value a kernel forgets to write shows in parity.
 */
public final class OpSpecs {
    private OpSpecs() {}

    /** The batch the benchmarks run ResNet20's ops at: exp2's. */
    public static final int BATCH = 128;
    /** ResNet20's parameters (one flat buffer, one SGD step). */
    public static final int RESNET20_PARAMETERS = 272_474;
    /** Batch norm's momentum and eps, PyTorch's defaults. */
    private static final float BN_MOMENTUM = 0.1f, BN_EPS = 1e-5f;

    /** Everything the benchmarks time, peaks included, in this order; names are unique. */
    public static List<OpSpec> catalogue() {
        List<OpSpec> all = new ArrayList<>(resnet20(BATCH));
        all.addAll(trainingGemms());
        all.addAll(gemmPeaks());
        all.addAll(copyPeaks());
        return List.copyOf(all);
    }

    /** The catalogue's spec of this name. */
    public static OpSpec named(String name) {
        return catalogue().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no op spec named '" + name + "'"));
    }

    /**
     * Large SGEMMs, smallest first: the GEMM peak other ops are measured against is the fastest
     * of them in the same run. 1024³ is 2.1 GFLOP; 2048³ (17 GFLOP) is for a device that runs
     * 1024³ too fast to time against the wait after it (a GPU), and too slow where it is not.
     */
    public static List<OpSpec> gemmPeaks() {
        return List.of(gemm(false, false, 1024, 1024, 1024, 1f, 0f), gemm(false, false, 2048, 2048, 2048, 1f, 0f));
    }

    /**
     * A copy of 256 MiB, far beyond any cache (CPU or GPU): the memory-copy peak. Ops whose
     * tensors fit in a cache can exceed it.
     */
    public static List<OpSpec> copyPeaks() {
        return List.of(copy(64 << 20));
    }

    /** exp1's 64-wide layers and the GEMMs of ResNet20's im2col convolutions (stage 1 and 3 of a batch's image). */
    public static List<OpSpec> trainingGemms() {
        return List.of(gemm(false, false, 64, 64, 64, 1f, 0f), gemm(false, false, 16, 8192, 144, 1f, 0f),
                gemm(false, false, 64, 2048, 576, 1f, 0f));
    }

    /**
     * Every distinct op of a ResNet20 training step at {@code batch}: the convolutions' three
     * passes (the stem's input gradient is never needed), batch norm forward and backward, ReLU
     * and the residual add at the largest activation, pooling, the classifier's GEMM, the loss
     * and the SGD step.
     */
    public static List<OpSpec> resnet20(int batch) {
        List<OpSpec> specs = new ArrayList<>();
        ConvShape stem = new ConvShape(batch, 3, 32, 32, 16, 3, 1, 1);
        specs.add(conv2d(stem));
        specs.add(conv2dBackwardFilter(stem));
        int[] widths = {16, 32, 64};
        for (int stage = 0; stage < widths.length; stage++) {
            int out = widths[stage], size = 32 >> stage;
            List<ConvShape> convs = new ArrayList<>();
            if (stage > 0) {
                int in = widths[stage - 1], inSize = size * 2;
                convs.add(new ConvShape(batch, in, inSize, inSize, out, 3, 2, 1));
                convs.add(new ConvShape(batch, in, inSize, inSize, out, 1, 2, 0)); // the projection shortcut
            }
            convs.add(new ConvShape(batch, out, size, size, out, 3, 1, 1));
            for (ConvShape c : convs) {
                specs.add(conv2d(c));
                specs.add(conv2dBackwardData(c));
                specs.add(conv2dBackwardFilter(c));
            }
            ChannelShape s = new ChannelShape(batch, out, size * size);
            specs.add(batchNormTraining(s));
            specs.add(batchNormBackward(s));
        }
        int largest = batch * widths[0] * 32 * 32;
        specs.add(relu(largest));
        specs.add(add(largest));
        ChannelShape last = new ChannelShape(batch, widths[2], 8 * 8);
        specs.add(globalAvgPool(last));
        specs.add(globalAvgPoolBackward(last));
        specs.add(gemm(false, true, batch, 10, widths[2], 1f, 0f));
        specs.add(softmaxCrossEntropy(batch, 10));
        specs.add(sgdStep(RESNET20_PARAMETERS, 0.9f, 5e-4f));
        return List.copyOf(specs);
    }

    // ---- One factory per op ----

    /**
     * C = alpha·op(A)·op(B) + beta·C: 2·m·n·k FLOPs; A, B and C read, C written. C starts
     * random, so beta = 1 shows whether it accumulates.
     */
    public static OpSpec gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta) {
        String shape = m + "x" + n + "x" + k + (transA ? " A^T" : "") + (transB ? " B^T" : "")
                + (alpha != 1 ? " alpha=" + alpha : "") + (beta != 0 ? " beta=" + beta : "");
        long cTraffic = (beta != 0 ? 2L : 1L) * m * n;
        return new OpSpec("gemm", shape, Set.of(GEMM), 2L * m * n * k, floats((long) m * k + (long) k * n + cTraffic),
                in -> {
                    Buffer a = in.uniform(m * k), b = in.uniform(k * n), c = in.uniform(m * n);
                    return in.run(() -> in.backend().gemm(transA, transB, m, n, k, alpha, a, b, beta, c),
                            () -> in.read(c), c);
                });
    }

    /** y = conv(x, w): 2·outputs·inChannels·kernel² FLOPs; x and w read, y written. */
    public static OpSpec conv2d(ConvShape c) {
        return new OpSpec("conv2d", describe(c), Set.of(CONV2D), convFlops(c),
                floats((long) c.inputSize() + c.weightSize() + c.outputSize()), in -> {
                    Buffer x = in.activations(c.inputSize(), c.height(), c.width());
                    Buffer w = in.uniform(c.weightSize()), y = in.uniform(c.outputSize());
                    return in.run(() -> in.backend().conv2d(c, x, w, y),
                            () -> in.readActivations(y, c.outHeight(), c.outWidth()), y);
                });
    }

    /** dx from dy and w: the forward's FLOPs; dy and w read, dx written. */
    public static OpSpec conv2dBackwardData(ConvShape c) {
        return new OpSpec("conv2dBackwardData", describe(c), Set.of(CONV2D_BACKWARD_DATA), convFlops(c),
                floats((long) c.outputSize() + c.weightSize() + c.inputSize()), in -> {
                    Buffer dy = in.activations(c.outputSize(), c.outHeight(), c.outWidth());
                    Buffer w = in.uniform(c.weightSize()), dx = in.uniform(c.inputSize());
                    return in.run(() -> in.backend().conv2dBackwardData(c, dy, w, dx),
                            () -> in.readActivations(dx, c.height(), c.width()), dx);
                });
    }

    /** dw += from x and dy: the forward's FLOPs; x and dy read, dw read and written (it starts random). */
    public static OpSpec conv2dBackwardFilter(ConvShape c) {
        return new OpSpec("conv2dBackwardFilter", describe(c), Set.of(CONV2D_BACKWARD_FILTER), convFlops(c),
                floats((long) c.inputSize() + c.outputSize() + 2L * c.weightSize()), in -> {
                    Buffer x = in.activations(c.inputSize(), c.height(), c.width());
                    Buffer dy = in.activations(c.outputSize(), c.outHeight(), c.outWidth());
                    Buffer dw = in.uniform(c.weightSize());
                    return in.run(() -> in.backend().conv2dBackwardFilter(c, x, dy, dw), () -> in.read(dw), dw);
                });
    }

    /**
     * Batch norm in training: 5 FLOPs per value (Σx and Σx², then one multiply-add with the
     * channel's folded scale and shift); x read and y written, per channel 4 values read
     * (gamma, beta, running mean and variance) and 4 written (running and saved statistics).
     */
    public static OpSpec batchNormTraining(ChannelShape s) {
        int c = s.channels();
        return new OpSpec("batchNormTraining", describe(s), Set.of(BATCH_NORM_TRAINING), 5L * s.size(),
                floats(2L * s.size() + 8L * c), in -> {
                    Buffer x = in.uniform(s.size()), gamma = in.uniform(c), beta = in.uniform(c);
                    Buffer runningMean = in.uniform(c), runningVar = in.uniform(c, 0.1, 1.1);
                    Buffer y = in.uniform(s.size()), savedMean = in.uniform(c), savedInvStd = in.uniform(c);
                    return in.run(() -> in.backend().batchNormTraining(s, x, gamma, beta, y, runningMean, runningVar,
                                    savedMean, savedInvStd, BN_MOMENTUM, BN_EPS),
                            () -> in.read(y, runningMean, runningVar, savedMean, savedInvStd), y);
                });
    }

    /**
     * Batch norm's backward: 9 FLOPs per value (Σdy and Σdy·(x − mean), then
     * dx = (dy − mean(dy) − x̂·mean(dy·x̂))·gamma·invStd with x̂ recomputed); x and dy read, dx
     * written, per channel 3 values read (gamma, saved mean and 1/std) and 2 accumulated.
     */
    public static OpSpec batchNormBackward(ChannelShape s) {
        int c = s.channels();
        return new OpSpec("batchNormBackward", describe(s), Set.of(BATCH_NORM_BACKWARD), 9L * s.size(),
                floats(3L * s.size() + 7L * c), in -> {
                    Buffer x = in.uniform(s.size()), dy = in.uniform(s.size()), gamma = in.uniform(c);
                    Buffer savedMean = in.uniform(c), savedInvStd = in.uniform(c, 0.5, 1.5);
                    Buffer dx = in.uniform(s.size()), dgamma = in.uniform(c), dbeta = in.uniform(c);
                    return in.run(() -> in.backend().batchNormBackward(s, x, dy, gamma, savedMean, savedInvStd, dx,
                            dgamma, dbeta), () -> in.read(dx, dgamma, dbeta), dx);
                });
    }

    /** y = max(x, 0): 1 FLOP per value; x read, y written. */
    public static OpSpec relu(int n) {
        return new OpSpec("relu", "n=" + n, Set.of(RELU), n, floats(2L * n), in -> {
            Buffer x = in.uniform(n), y = in.uniform(n);
            return in.run(() -> in.backend().relu(x, y), () -> in.read(y), y);
        });
    }

    /** y = a + b: 1 FLOP per value; a and b read, y written. */
    public static OpSpec add(int n) {
        return new OpSpec("add", "n=" + n, Set.of(ADD), n, floats(3L * n), in -> {
            Buffer a = in.uniform(n), b = in.uniform(n), y = in.uniform(n);
            return in.run(() -> in.backend().add(a, b, y), () -> in.read(y), y);
        });
    }

    /** dst = src: no FLOPs; src read, dst written. The copy peak's op. */
    public static OpSpec copy(int n) {
        String shape = n % (1 << 18) == 0 ? (n >> 18) + " MiB" : "n=" + n;
        return new OpSpec("copy", shape, Set.of(), 0, floats(2L * n), in -> {
            Buffer src = in.uniform(n), dst = in.uniform(n);
            return in.run(() -> in.backend().copy(src, dst), () -> in.read(dst), dst);
        });
    }

    /** Mean per image and channel: 1 FLOP per value; x read, batch·channels written. */
    public static OpSpec globalAvgPool(ChannelShape s) {
        int pooled = s.batch() * s.channels();
        return new OpSpec("globalAvgPool", describe(s), Set.of(GLOBAL_AVG_POOL), s.size(),
                floats((long) s.size() + pooled), in -> {
                    Buffer x = in.uniform(s.size()), y = in.uniform(pooled);
                    return in.run(() -> in.backend().globalAvgPool(s, x, y), () -> in.read(y), y);
                });
    }

    /** dx = dy / pixels, spread: 1 FLOP per value; batch·channels read, dx written. */
    public static OpSpec globalAvgPoolBackward(ChannelShape s) {
        int pooled = s.batch() * s.channels();
        return new OpSpec("globalAvgPoolBackward", describe(s), Set.of(GLOBAL_AVG_POOL_BACKWARD), s.size(),
                floats((long) s.size() + pooled), in -> {
                    Buffer dy = in.uniform(pooled), dx = in.uniform(s.size());
                    return in.run(() -> in.backend().globalAvgPoolBackward(s, dy, dx), () -> in.read(dx), dx);
                });
    }

    /**
     * Softmax cross-entropy with its gradient: 5 FLOPs per logit (max, subtract, exp, sum,
     * scale); logits and labels read, the gradient written, the two sums accumulated.
     */
    public static OpSpec softmaxCrossEntropy(int batch, int classes) {
        int logits = batch * classes;
        return new OpSpec("softmaxCrossEntropy", batch + "x" + classes, Set.of(SOFTMAX_CROSS_ENTROPY), 5L * logits,
                floats(2L * logits + batch + 4), in -> {
                    Buffer x = in.uniform(logits, -4, 4), labels = in.integers(batch, classes);
                    Buffer dlogits = in.uniform(logits), sums = in.uniform(2);
                    return in.run(() -> in.backend().softmaxCrossEntropy(batch, classes, x, labels, dlogits, sums),
                            () -> in.read(dlogits, sums), dlogits);
                });
    }

    /**
     * SGD over n parameters in place: 2 FLOPs per value for the weight decay, 2 for the momentum
     * and 2 for the update (the first two only where set); p and g read, p written, v read and
     * written with momentum.
     */
    public static OpSpec sgdStep(int n, float momentum, float weightDecay) {
        long flops = (2L + (momentum != 0 ? 2 : 0) + (weightDecay != 0 ? 2 : 0)) * n;
        long traffic = (momentum != 0 ? 5L : 3L) * n + 1;
        return new OpSpec("sgdStep", "n=" + n + " momentum=" + momentum + " decay=" + weightDecay, Set.of(SGD_STEP),
                flops, floats(traffic), in -> {
                    Buffer p = in.uniform(n), g = in.uniform(n), v = in.uniform(n), lr = in.values(0.05f);
                    return in.run(() -> in.backend().sgdStep(p, g, momentum != 0 ? v : null, lr, momentum, weightDecay),
                            () -> in.read(p, v), p); // with momentum 0, v must be untouched
                });
    }

    // ---- Shapes and counts ----

    static long convFlops(ConvShape c) {
        return 2L * c.outputSize() * c.patchSize();
    }

    private static long floats(long count) {
        return count * Float.BYTES;
    }

    /** "128x16x32x32>32 k3 s2": batch x channels x height x width > output channels, kernel, stride. */
    static String describe(ConvShape c) {
        return c.batch() + "x" + c.inChannels() + "x" + c.height() + "x" + c.width() + ">" + c.outChannels() + " k"
                + c.kernel() + " s" + c.stride() + (c.padding() != (c.kernel() - 1) / 2 ? " p" + c.padding() : "");
    }

    /** "128x16x1024": batch x channels x pixels. */
    static String describe(ChannelShape s) {
        return s.batch() + "x" + s.channels() + "x" + s.pixels();
    }
}
