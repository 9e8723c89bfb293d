package ember.backend.cuda;

import ember.backend.Buffer;
import ember.backend.ChannelShape;
import ember.backend.Checks;
import java.util.List;
import java.util.function.IntFunction;
import jcuda.driver.CUfunction;

/**
 * Launchers for kernels/resnet.cu, the ResNet's ops besides convolution, written once for CUDA and
 * OpenCL in kernels/ember_resnet_ops.h (so the OpenCL suite on PoCL runs the same kernels). The
 * per-channel reductions run one block of {@link #BLOCK} threads per channel. Their scratch (sums
 * per channel, statistics per row) is device memory grown once to the largest use, before any
 * capture, so a captured step replays with the same addresses.
 */
final class ResNetOps implements AutoCloseable {
    static final String ADD = "ember_add";
    static final String BN_STATISTICS = "ember_batch_norm_statistics";
    static final String BN_APPLY = "ember_batch_norm_apply";
    static final String BN_BACKWARD_SUMS = "ember_batch_norm_backward_sums";
    static final String BN_BACKWARD_DATA = "ember_batch_norm_backward_data";
    static final String POOL = "ember_global_avg_pool";
    static final String POOL_BACKWARD = "ember_global_avg_pool_backward";
    static final String CROSS_ENTROPY = "ember_softmax_cross_entropy";
    static final String ADD_ROW_STATS = "ember_add_row_stats";
    static final List<String> KERNELS = List.of(ADD, BN_STATISTICS, BN_APPLY, BN_BACKWARD_SUMS, BN_BACKWARD_DATA,
            POOL, POOL_BACKWARD, CROSS_ENTROPY, ADD_ROW_STATS);

    /** EMBER_BLOCK in kernels/ember_dialect.h: the reductions' tree is written for exactly this many threads. */
    static final int BLOCK = 256;

    private final Launcher launcher;
    private final DeviceFault fault;
    private final Scratch scratch;
    private final CUfunction add, statistics, apply, backwardSums, backwardData, pool, poolBackward, crossEntropy,
            addRowStats;

    /** Kernels from the backend's module; scratch comes from {@code allocator} (the backend's allocate). */
    ResNetOps(Launcher launcher, DeviceFault fault, IntFunction<Buffer> allocator) {
        this.launcher = launcher;
        this.fault = fault;
        this.scratch = new Scratch(allocator);
        add = launcher.function(ADD);
        statistics = launcher.function(BN_STATISTICS);
        apply = launcher.function(BN_APPLY);
        backwardSums = launcher.function(BN_BACKWARD_SUMS);
        backwardData = launcher.function(BN_BACKWARD_DATA);
        pool = launcher.function(POOL);
        poolBackward = launcher.function(POOL_BACKWARD);
        crossEntropy = launcher.function(CROSS_ENTROPY);
        addRowStats = launcher.function(ADD_ROW_STATS);
    }

    void add(Buffer a, Buffer b, Buffer y) {
        Checks.sameLength("add", a, b);
        Checks.sameLength("add", a, y);
        launcher.launch1d(add, a.length(), a.length(), CudaBuffer.of(a), CudaBuffer.of(b), CudaBuffer.of(y));
    }

    /**
     * Batch norm in training mode, then residual added (unless null) and the ReLU (if relu):
     * statistics one block per channel, then one pass that writes y.
     */
    void batchNormTraining(ChannelShape s, Buffer x, Buffer gamma, Buffer beta, Buffer residual, boolean relu,
                           Buffer y, Buffer runningMean, Buffer runningVar, Buffer savedMean, Buffer savedInvStd,
                           float momentum, float eps) {
        Checks.channels("batchNormTraining", s, x, y, gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        if (residual != null) {
            Checks.sameLength("batchNormReluTraining", residual, y);
        }
        if (s.size() == 0) {
            return;
        }
        launcher.launch(statistics, s.channels(), 1, BLOCK, 1, s.batch(), s.channels(), s.pixels(),
                CudaBuffer.of(x), CudaBuffer.of(runningMean), CudaBuffer.of(runningVar), CudaBuffer.of(savedMean),
                CudaBuffer.of(savedInvStd), momentum, eps);
        launchApply(s, x, gamma, beta, savedMean, savedInvStd, false, eps, residual, relu, y);
    }

    void batchNormInference(ChannelShape s, Buffer x, Buffer gamma, Buffer beta, Buffer y, Buffer runningMean,
                            Buffer runningVar, float eps) {
        Checks.channels("batchNormInference", s, x, y, gamma, beta, runningMean, runningVar);
        launchApply(s, x, gamma, beta, runningMean, runningVar, true, eps, null, false, y);
    }

    private void launchApply(ChannelShape s, Buffer x, Buffer gamma, Buffer beta, Buffer mean, Buffer spread,
                             boolean spreadIsVariance, float eps, Buffer residual, boolean relu, Buffer y) {
        launcher.launch1d(apply, s.size(), s.batch(), s.channels(), s.pixels(), CudaBuffer.of(x),
                CudaBuffer.of(gamma), CudaBuffer.of(beta), CudaBuffer.of(mean), CudaBuffer.of(spread),
                spreadIsVariance ? 1 : 0, eps, residual != null ? 1 : 0,
                CudaBuffer.of(residual != null ? residual : x), relu ? 1 : 0, CudaBuffer.of(y));
    }

    /**
     * Batch norm's backward; with y (the forward's ReLU output, else null), dy is taken as zero
     * where y is not positive, so the ReLU's backward costs no pass of its own.
     */
    void batchNormBackward(ChannelShape s, Buffer x, Buffer y, Buffer dy, Buffer gamma, Buffer savedMean,
                           Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        Checks.channels("batchNormBackward", s, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
        if (y != null) {
            Checks.sameLength("batchNormReluBackward", y, x);
        }
        if (s.size() == 0) {
            return;
        }
        Buffer sums = scratch.sums(2 * s.channels());
        int relu = y != null ? 1 : 0;
        CudaBuffer mask = CudaBuffer.of(y != null ? y : dy); // read either way (ember_resnet_ops.h)
        launcher.launch(backwardSums, s.channels(), 1, BLOCK, 1, s.batch(), s.channels(), s.pixels(),
                CudaBuffer.of(x), CudaBuffer.of(dy), relu, mask, CudaBuffer.of(savedMean), CudaBuffer.of(savedInvStd),
                CudaBuffer.of(sums), CudaBuffer.of(dgamma), CudaBuffer.of(dbeta));
        launcher.launch1d(backwardData, s.size(), s.batch(), s.channels(), s.pixels(), CudaBuffer.of(x),
                CudaBuffer.of(dy), relu, mask, CudaBuffer.of(gamma), CudaBuffer.of(savedMean),
                CudaBuffer.of(savedInvStd), CudaBuffer.of(sums), CudaBuffer.of(dx));
    }

    void globalAvgPool(ChannelShape s, Buffer x, Buffer y) {
        Checks.pooling("globalAvgPool", s, "x", x, "y", y);
        int planes = s.batch() * s.channels();
        launcher.launch1d(pool, planes, planes, s.pixels(), CudaBuffer.of(x), CudaBuffer.of(y));
    }

    void globalAvgPoolBackward(ChannelShape s, Buffer dy, Buffer dx) {
        Checks.pooling("globalAvgPoolBackward", s, "dx", dx, "dy", dy);
        launcher.launch1d(poolBackward, s.size(), s.batch() * s.channels(), s.pixels(), CudaBuffer.of(dy),
                CudaBuffer.of(dx));
    }

    /** Bad labels are found on the device and recorded in the fault words; see {@link DeviceFault}. */
    void softmaxCrossEntropy(int batch, int classes, Buffer logits, Buffer labels, Buffer dlogits, Buffer sums) {
        Checks.crossEntropy(batch, classes, logits, labels, dlogits, sums);
        if (batch == 0) {
            return;
        }
        Buffer rows = scratch.rows(2 * batch);
        launcher.launch1d(crossEntropy, batch, batch, classes, CudaBuffer.of(logits), CudaBuffer.of(labels),
                CudaBuffer.of(dlogits), CudaBuffer.of(rows), fault.address());
        launcher.launch(addRowStats, 1, 1, 1, 1, batch, CudaBuffer.of(rows), CudaBuffer.of(sums));
    }

    @Override
    public void close() {
        scratch.close();
    }

    /**
     * Two scratch buffers, each grown to the largest request: one for the batch norms' per-channel
     * sums, one for the loss's per-row statistics (both live within one call, but separate buffers
     * keep a captured graph's addresses independent of call order). A buffer outgrown is kept
     * until close, since a graph captured earlier may still point into it.
     */
    private static final class Scratch implements AutoCloseable {
        private final IntFunction<Buffer> allocator;
        private final List<Buffer> outgrown = new java.util.ArrayList<>();
        private Buffer sums;
        private Buffer rows;

        Scratch(IntFunction<Buffer> allocator) {
            this.allocator = allocator;
        }

        Buffer sums(int floats) {
            sums = grown(sums, floats);
            return sums;
        }

        Buffer rows(int floats) {
            rows = grown(rows, floats);
            return rows;
        }

        private Buffer grown(Buffer current, int floats) {
            if (current != null && current.length() >= floats) {
                return current;
            }
            if (current != null) {
                outgrown.add(current);
            }
            return allocator.apply(floats);
        }

        @Override
        public void close() {
            outgrown.forEach(Buffer::close);
            for (Buffer b : new Buffer[] {sums, rows}) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }
}
