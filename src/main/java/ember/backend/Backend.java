package ember.backend;

import java.util.EnumSet;
import java.util.Set;

/**
 * The contract every backend implements, in two parts (docs/backends.md):
 * <ul>
 * <li><b>primitives</b> (the abstract methods, listed in {@link Primitive}): memory, GEMM, the
 * convolution's forward, backward-data and backward-filter passes, batch norm in training,
 * inference and backward, and the elementwise, pooling, loss and SGD ops. A backend that
 * implements them runs every job and passes every parity case;</li>
 * <li><b>fusions</b> (the default methods): several primitives in one call, which a backend may
 * override to save passes over memory. Each default composes primitives; one that needs memory
 * between its forward and backward ({@link #normReluConv}) is a planned object that allocates
 * it once, when the model is built.</li>
 * </ul>
 * Shapes are row-major; every op names its output buffer, and outputs are overwritten unless
 * the method says it accumulates. Ops may run asynchronously; {@link #read} is the one explicit
 * point where results reach the host.
 */
public interface Backend extends AutoCloseable {

    /** Short name, as on the command line: reference, cpu, cuda, opencl. */
    String name();

    /** What runs and how, e.g. "cpu (2 threads, GEMM: OpenBLAS libopenblas.so.0)". */
    String description();

    /**
     * The primitives this backend does not implement yet (each throws {@link
     * UnsupportedOperationException} naming itself): a job that needs one refuses the backend
     * before it starts, and the parity suite counts each as a failure. Empty when complete.
     */
    default Set<Primitive> lacks() {
        return EnumSet.noneOf(Primitive.class);
    }

    // ---- Primitives: memory ----

    /** A zero-filled buffer of {@code length} floats, owned by the caller. */
    Buffer allocate(int length);

    /** How many buffers {@link #allocate} has made so far: a steady-state training step adds none. */
    long allocations();

    /** Copies the first {@code dst.length()} values of {@code src} into {@code dst}. */
    void write(Buffer dst, float[] src);

    /** Copies {@code src} into {@code dst} (at least {@code src.length()} long); waits for pending work. */
    void read(Buffer src, float[] dst);

    /** x[i] = value. */
    void fill(Buffer x, float value);

    /**
     * dst = src, of equal lengths, not overlapping. Not a primitive: the default composes
     * {@link #fill} and {@link #add}; a backend overrides it with its own copy, which the kernel
     * benchmarks (docs/benchmarks.md) take as the device's memory-copy peak.
     */
    default void copy(Buffer src, Buffer dst) {
        Checks.sameLength("copy", src, dst);
        Checks.disjoint("copy", "src", src, "dst", dst);
        fill(dst, 0f);
        add(dst, src, dst);
    }

    // ---- Primitives: GEMM and the MLP's ops ----

    /**
     * C[m×n] = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n; A is stored
     * k×m when transA, B is stored n×k when transB. beta = 1 accumulates into C.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float alpha, Buffer a, Buffer b, float beta, Buffer c);

    /** y[r, c] += bias[c] for a rows×cols matrix y. */
    void addBias(Buffer y, Buffer bias, int rows, int cols);

    /** biasGrad[c] += Σ_r dy[r, c]: accumulates, like every parameter gradient. */
    void sumRows(Buffer dy, Buffer biasGrad, int rows, int cols);

    /** y = max(x, 0); y may be x. */
    void relu(Buffer x, Buffer y);

    /** dx = dy where x > 0, else 0; dx may be dy. */
    void reluBackward(Buffer x, Buffer dy, Buffer dx);

    /** y = tanh(x); y may be x. */
    void tanh(Buffer x, Buffer y);

    /** dx = dy · (1 − y²) from the forward output y; dx may be dy. */
    void tanhBackward(Buffer y, Buffer dy, Buffer dx);

    /** y = a + b elementwise; y may be a or b. */
    void add(Buffer a, Buffer b, Buffer y);

    /** out[i, :] = table[indices[i], :] for rows of {@code width}; indices hold exact integers. */
    void gatherRows(Buffer table, Buffer indices, Buffer out, int width);

    /** loss[0] = mean((pred − target)²) over pred.length() values. */
    void mseLoss(Buffer pred, Buffer target, Buffer loss);

    /** dpred = 2 (pred − target) / n: the gradient of {@link #mseLoss}. */
    void mseBackward(Buffer pred, Buffer target, Buffer dpred);

    /**
     * Softmax cross-entropy of logits [batch, classes] against integer labels, mean over the
     * batch, fused with its gradient: dlogits = (softmax − onehot)/batch. Accumulates the batch's
     * summed loss into sums[0] and its count of rows whose largest logit is the label's into
     * sums[1], so an epoch's totals stay on the device until the host reads them.
     */
    void softmaxCrossEntropy(int batch, int classes, Buffer logits, Buffer labels, Buffer dlogits, Buffer sums);

    /**
     * One SGD step with PyTorch semantics over flat buffers, in place:
     * g' = g + weightDecay·p; v = momentum·v + g'; p −= lr·v (with momentum 0: p −= lr·g'). The
     * learning rate is lr[0], a device value, so a captured step replays with each epoch's rate.
     * {@code velocity} may be null when momentum is 0.
     */
    void sgdStep(Buffer params, Buffer grads, Buffer velocity, Buffer lr, float momentum, float weightDecay);

    // ---- Primitives: the ResNet's ops ----

    /** y = conv(x, w) over NCHW tensors, no bias; y is overwritten. */
    void conv2d(ConvShape shape, Buffer x, Buffer w, Buffer y);

    /** dx = ∂(Σ dy·conv(x, w))/∂x; dx is overwritten. */
    void conv2dBackwardData(ConvShape shape, Buffer dy, Buffer w, Buffer dx);

    /** dw += ∂(Σ dy·conv(x, w))/∂w: accumulates, like every parameter gradient. */
    void conv2dBackwardFilter(ConvShape shape, Buffer x, Buffer dy, Buffer dw);

    /**
     * Batch normalisation in training mode, per channel over batch and pixels:
     * y = (x − mean)/√(var + eps)·gamma + beta with the batch's biased variance. Saves mean and
     * 1/√(var + eps) for the backward pass and updates the running statistics as PyTorch does:
     * running = (1 − momentum)·running + momentum·batch statistic, with the unbiased variance.
     */
    void batchNormTraining(ChannelShape shape, Buffer x, Buffer gamma, Buffer beta, Buffer y, Buffer runningMean,
                           Buffer runningVar, Buffer savedMean, Buffer savedInvStd, float momentum, float eps);

    /** y = (x − runningMean)/√(runningVar + eps)·gamma + beta. */
    void batchNormInference(ChannelShape shape, Buffer x, Buffer gamma, Buffer beta, Buffer y,
                            Buffer runningMean, Buffer runningVar, float eps);

    /** Backward of {@link #batchNormTraining}: dx is overwritten, dgamma and dbeta accumulate. */
    void batchNormBackward(ChannelShape shape, Buffer x, Buffer dy, Buffer gamma, Buffer savedMean,
                           Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta);

    /** y[n, c] = mean over pixels of x[n, c, :]. */
    void globalAvgPool(ChannelShape shape, Buffer x, Buffer y);

    /** dx[n, c, p] = dy[n, c] / pixels. */
    void globalAvgPoolBackward(ChannelShape shape, Buffer dy, Buffer dx);

    /** Frees what the backend holds (threads, handles). Buffers must be closed by their owners. */
    @Override
    void close();

    // ---- Fusions: each default composes the primitives above ----

    /**
     * Writes NCHW activations (planes of height × width, as many as dst holds) into dst in the
     * pixel order this backend's convolutions use, which may differ from row order within a
     * plane; every op that sees pixels (the convolutions) reads and writes that order, and ops
     * that do not (batch norm, ReLU, add, pooling) do not care. Images enter a network this way.
     */
    default void writeActivations(Buffer dst, float[] src, int height, int width) {
        write(dst, src);
    }

    /** Reads activations back in NCHW row order: the inverse of {@link #writeActivations}. */
    default void readActivations(Buffer src, float[] dst, int height, int width) {
        read(src, dst);
    }

    /**
     * {@link #conv2d}, also leaving in {@code stats} (unless null; 2 floats per image and output
     * channel) whatever this backend's batch norm fusions want to know of y, for the batch norm
     * that reads y next: a backend may take statistics as it writes y, while each plane is still
     * in cache, instead of reading y again. What stats holds is the backend's own business; the
     * default leaves it untouched, as its batch norms ignore it. A backend that overrides this
     * overrides the batch norm fusions that take stats too, and the reverse.
     */
    default void conv2d(ConvShape shape, Buffer x, Buffer w, Buffer y, Buffer stats) {
        conv2d(shape, x, w, y);
    }

    /** {@link #batchNormTraining} of the y of {@link #conv2d(ConvShape, Buffer, Buffer, Buffer, Buffer)}, with its stats (or null). */
    default void batchNormTraining(ChannelShape shape, Buffer x, Buffer stats, Buffer gamma, Buffer beta, Buffer y,
                                   Buffer runningMean, Buffer runningVar, Buffer savedMean, Buffer savedInvStd,
                                   float momentum, float eps) {
        batchNormTraining(shape, x, gamma, beta, y, runningMean, runningVar, savedMean, savedInvStd, momentum, eps);
    }

    /**
     * y = max(BN(x) + residual, 0), or max(BN(x), 0) when residual is null, with batch norm as
     * in {@link #batchNormTraining} (the same statistics saved and updated; stats as there): what
     * a ResNet does after its convolutions, in one sweep over memory where a backend can.
     */
    default void batchNormReluTraining(ChannelShape shape, Buffer x, Buffer stats, Buffer gamma, Buffer beta,
                                       Buffer residual, Buffer y, Buffer runningMean, Buffer runningVar,
                                       Buffer savedMean, Buffer savedInvStd, float momentum, float eps) {
        batchNormTraining(shape, x, stats, gamma, beta, y, runningMean, runningVar, savedMean, savedInvStd,
                momentum, eps);
        if (residual != null) {
            add(y, residual, y);
        }
        relu(y, y);
    }

    /**
     * Backward of {@link #batchNormReluTraining} without a residual, whose output was y: dy is
     * masked where y is 0, then back-propagated through batch norm. dy may be overwritten; dx is,
     * and dgamma and dbeta accumulate. A backend may recompute the mask from x and the saved
     * statistics instead of reading y, if it finds exactly the pixels its forward zeroed.
     */
    default void batchNormReluBackward(ChannelShape shape, Buffer x, Buffer y, Buffer dy, Buffer gamma, Buffer beta,
                                       Buffer savedMean, Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        reluBackward(y, dy, dy);
        batchNormBackward(shape, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
    }

    /**
     * {@link #conv2dBackwardData} and {@link #conv2dBackwardFilter} in one call (dx is
     * overwritten, dw accumulates): both read dy, and a backend may read it once for both.
     * With dxPlus (else null; never overlapping dx), dx = backward-data + dxPlus: a residual
     * block's input gradient, whose shortcut part a backend can add as it writes dx instead of in
     * a pass of its own. With throughRelu, x is a ReLU's output and dx is taken back through that
     * ReLU as well: zero where x ≤ 0 ({@link #reluBackward}(x, dx, dx)), again as dx is written.
     */
    default void conv2dBackward(ConvShape shape, Buffer x, Buffer dy, Buffer w, Buffer dxPlus, boolean throughRelu,
                                Buffer dx, Buffer dw) {
        Checks.disjoint("conv2dBackward", "dxPlus", dxPlus, "dx", dx);
        conv2dBackwardData(shape, dy, w, dx);
        if (dxPlus != null) {
            add(dx, dxPlus, dx);
        }
        if (throughRelu) {
            reluBackward(x, dx, dx);
        }
        conv2dBackwardFilter(shape, x, dy, dw);
    }

    /**
     * A timer of {@code phases} phases that starts now, measuring where this backend's work runs.
     * The default reads the host's clock, which is right for a backend whose ops have finished
     * when they return; an asynchronous backend times marks in its stream of work instead.
     */
    default PhaseTimer phaseTimer(int phases) {
        return new PhaseTimer.OnHost(phases);
    }

    /**
     * {@code work} as a step to run many times with the same buffers and shapes: its ops must
     * neither read results back nor allocate, and must take every value that changes between
     * runs (the learning rate, the batch) from device memory. A backend may record the work's
     * queued ops once and replay them; the default runs the work each time.
     */
    default RecordedStep record(Runnable work) {
        return RecordedStep.direct(work);
    }

    /**
     * A planned y = conv(relu(BN(x))): a batch norm and ReLU whose output only the convolution
     * after them reads (a ResNet block's middle). Made once, for the largest batch; see {@link
     * NormReluConv}. The default materialises relu(BN(x)) in memory of its own; a backend may
     * instead apply the normalisation as its convolution reads x.
     */
    default NormReluConv normReluConv(ConvShape largest) {
        return new ComposedNormReluConv(this, largest);
    }
}
