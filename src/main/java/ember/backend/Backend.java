package ember.backend;

/**
 * The contract every backend implements: memory (allocate, write, read) and the ops the
 * layers need. Shapes are row-major; every op names its output buffer, and outputs are
 * overwritten unless the method says it accumulates. Ops may run asynchronously;
 * {@link #read} is the one explicit point where results reach the host.
 */
public interface Backend extends AutoCloseable {

    /** Short name, as on the command line: reference, cpu, cuda, opencl. */
    String name();

    /** What runs and how, e.g. "cpu (2 threads, GEMM: OpenBLAS libopenblas.so.0)". */
    String description();

    /** A zero-filled buffer of {@code length} floats, owned by the caller. */
    Buffer allocate(int length);

    /** How many buffers {@link #allocate} has made so far: a steady-state training step adds none. */
    long allocations();

    /** Copies the first {@code dst.length()} values of {@code src} into {@code dst}. */
    void write(Buffer dst, float[] src);

    /** Copies {@code src} into {@code dst} (at least {@code src.length()} long); waits for pending work. */
    void read(Buffer src, float[] dst);

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

    /** x[i] = value. */
    void fill(Buffer x, float value);

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

    /** loss[0] = mean((pred − target)²) over pred.length() values. */
    void mseLoss(Buffer pred, Buffer target, Buffer loss);

    /** dpred = 2 (pred − target) / n: the gradient of {@link #mseLoss}. */
    void mseBackward(Buffer pred, Buffer target, Buffer dpred);

    /**
     * One SGD step with PyTorch semantics over flat buffers, in place:
     * g' = g + weightDecay·p; v = momentum·v + g'; p −= lr·v (with momentum 0: p −= lr·g').
     * {@code velocity} may be null when momentum is 0.
     */
    void sgdStep(Buffer params, Buffer grads, Buffer velocity, float lr, float momentum, float weightDecay);

    /** out[i, :] = table[indices[i], :] for rows of {@code width}; indices hold exact integers. */
    void gatherRows(Buffer table, Buffer indices, Buffer out, int width);

    /** y = a + b elementwise; y may be a or b. */
    void add(Buffer a, Buffer b, Buffer y);

    /** y = conv(x, w) over NCHW tensors, no bias; y is overwritten. */
    void conv2d(ConvShape shape, Buffer x, Buffer w, Buffer y);

    /**
     * {@link #conv2d}, also leaving y's {@link #planeSums} in planeSums (unless null): the batch norm after a
     * convolution starts from them, and a backend may take them as it writes y, while each
     * plane is still in cache, instead of reading y again.
     */
    default void conv2d(ConvShape shape, Buffer x, Buffer w, Buffer y, Buffer planeSums) {
        conv2d(shape, x, w, y);
        if (planeSums != null) {
            planeSums(new ChannelShape(shape.batch(), shape.outChannels(), shape.outHeight() * shape.outWidth()), y,
                    planeSums);
        }
    }

    /**
     * {@link #conv2d(ConvShape, Buffer, Buffer, Buffer, Buffer)} of relu(x·xScale[c] + xShift[c])
     * (per input channel c): a batch norm + ReLU applied as the convolution reads x, its output
     * never written ({@link #batchNormTrainingScaleShift}). The scaling rounds as {@link
     * #batchNormReluTraining}'s does where that op takes the same scale and shift.
     */
    void conv2d(ConvShape shape, Buffer x, Buffer xScale, Buffer xShift, Buffer w, Buffer y, Buffer planeSums);

    /**
     * For each plane of x (image n, channel c) two floats at 2(n·channels + c): the plane's sum
     * s, and its sum of squared deviations from s/pixels rounded to float. Batch norm's
     * statistics are these merged over the batch; per plane they stay accurate where
     * |mean| ≫ std.
     */
    void planeSums(ChannelShape shape, Buffer x, Buffer sums);

    /** dx = ∂(Σ dy·conv(x, w))/∂x; dx is overwritten. */
    void conv2dBackwardData(ConvShape shape, Buffer dy, Buffer w, Buffer dx);

    /** dw += ∂(Σ dy·conv(x, w))/∂w: accumulates, like every parameter gradient. */
    void conv2dBackwardFilter(ConvShape shape, Buffer x, Buffer dy, Buffer dw);

    /**
     * {@link #conv2dBackwardData} and {@link #conv2dBackwardFilter} in one call (dx is
     * overwritten, dw accumulates): both read dy, and a backend may read it once for both.
     * With dxPlus (else null; never dx itself), dx = backward-data + dxPlus: a residual block's
     * input gradient, whose shortcut part a backend can add as it writes dx instead of in a pass
     * of its own. With throughRelu, x is a ReLU's output and dx is taken back through that ReLU
     * as well: zero where x ≤ 0 ({@link #reluBackward}(x, dx, dx)), again as dx is written.
     */
    default void conv2dBackward(ConvShape shape, Buffer x, Buffer dy, Buffer w, Buffer dxPlus, boolean throughRelu,
                                Buffer dx, Buffer dw) {
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
     * {@link #conv2dBackward} (no dxPlus, not through a ReLU) of the convolution of
     * relu(x·xScale + xShift) ({@link #conv2d(ConvShape, Buffer, Buffer, Buffer, Buffer, Buffer,
     * Buffer)}): dx is the gradient for that normalised input, dw accumulates.
     */
    void conv2dBackward(ConvShape shape, Buffer x, Buffer xScale, Buffer xShift, Buffer dy, Buffer w, Buffer dx,
                        Buffer dw);

    /**
     * Batch normalisation in training mode, per channel over batch and pixels:
     * y = (x − mean)/√(var + eps)·gamma + beta with the batch's biased variance. Saves mean and
     * 1/√(var + eps) for the backward pass and updates the running statistics as PyTorch does:
     * running = (1 − momentum)·running + momentum·batch statistic, with the unbiased variance.
     * planeSums, when not null, are x's {@link #planeSums} (from {@link #conv2d(ConvShape,
     * Buffer, Buffer, Buffer, Buffer)}, say): a backend may take the statistics from them
     * instead of from x.
     */
    void batchNormTraining(ChannelShape shape, Buffer x, Buffer planeSums, Buffer gamma, Buffer beta, Buffer y,
                           Buffer runningMean, Buffer runningVar, Buffer savedMean, Buffer savedInvStd,
                           float momentum, float eps);

    /**
     * y = max(BN(x) + residual, 0), or max(BN(x), 0) when residual is null, with batch norm as
     * in {@link #batchNormTraining} (the same statistics saved and updated, planeSums as there): what a ResNet does
     * after its convolutions. A backend may do it in one sweep over memory instead of three.
     */
    default void batchNormReluTraining(ChannelShape shape, Buffer x, Buffer planeSums, Buffer gamma, Buffer beta,
                                       Buffer residual, Buffer y, Buffer runningMean, Buffer runningVar,
                                       Buffer savedMean, Buffer savedInvStd, float momentum, float eps) {
        batchNormTraining(shape, x, planeSums, gamma, beta, y, runningMean, runningVar, savedMean, savedInvStd,
                momentum, eps);
        if (residual != null) {
            add(y, residual, y);
        }
        relu(y, y);
    }

    /**
     * {@link #batchNormTraining}'s statistics (the same saved, the running ones updated; planeSums
     * as there), leaving instead of y the per-channel scale = gamma·invStd and shift = beta −
     * mean·scale, for the convolution that reads x next to apply with a ReLU ({@link
     * #conv2d(ConvShape, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer)}).
     */
    void batchNormTrainingScaleShift(ChannelShape shape, Buffer x, Buffer planeSums, Buffer gamma, Buffer beta,
                                     Buffer runningMean, Buffer runningVar, Buffer savedMean, Buffer savedInvStd,
                                     Buffer scale, Buffer shift, float momentum, float eps);

    /** {@link #batchNormInference}'s scale = gamma/√(runningVar + eps) and shift = beta − runningMean·scale. */
    void batchNormInferenceScaleShift(Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, float eps,
                                      Buffer scale, Buffer shift);

    /** y = (x − runningMean)/√(runningVar + eps)·gamma + beta. */
    void batchNormInference(ChannelShape shape, Buffer x, Buffer gamma, Buffer beta, Buffer y,
                            Buffer runningMean, Buffer runningVar, float eps);

    /** Backward of {@link #batchNormTraining}: dx is overwritten, dgamma and dbeta accumulate. */
    void batchNormBackward(ChannelShape shape, Buffer x, Buffer dy, Buffer gamma, Buffer savedMean,
                           Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta);

    /**
     * Backward of {@link #batchNormReluTraining} without a residual (or of {@link
     * #batchNormTrainingScaleShift} and the ReLU a convolution applied): dy is masked where the
     * forward's output was 0, then back-propagated through batch norm. That output is not read
     * (it may never have been written): the mask is recomputed from x, the saved statistics,
     * gamma and beta, and must find exactly the pixels the forward zeroed. dy may be
     * overwritten; dx is, and dgamma and dbeta accumulate.
     */
    void batchNormReluBackward(ChannelShape shape, Buffer x, Buffer dy, Buffer gamma, Buffer beta, Buffer savedMean,
                               Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta);

    /** y[n, c] = mean over pixels of x[n, c, :]. */
    void globalAvgPool(ChannelShape shape, Buffer x, Buffer y);

    /** dx[n, c, p] = dy[n, c] / pixels. */
    void globalAvgPoolBackward(ChannelShape shape, Buffer dy, Buffer dx);

    /**
     * Softmax cross-entropy of logits [batch, classes] against integer labels, mean over the
     * batch, fused with its gradient: dlogits = (softmax − onehot)/batch. Writes the mean loss
     * to stats[0] and the number of rows whose largest logit is the label's to stats[1].
     */
    void softmaxCrossEntropy(int batch, int classes, Buffer logits, Buffer labels, Buffer dlogits, Buffer stats);

    /** Frees what the backend holds (threads, handles). Buffers must be closed by their owners. */
    @Override
    void close();
}
