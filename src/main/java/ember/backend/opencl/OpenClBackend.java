package ember.backend.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_PROFILING_COMMAND_END;
import static org.jocl.CL.CL_QUEUE_PROFILING_ENABLE;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clCreateCommandQueue;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clEnqueueCopyBuffer;
import static org.jocl.CL.clEnqueueFillBuffer;
import static org.jocl.CL.clEnqueueMarkerWithWaitList;
import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clGetEventProfilingInfo;
import static org.jocl.CL.clReleaseCommandQueue;
import static org.jocl.CL.clReleaseContext;
import static org.jocl.CL.clReleaseEvent;
import static org.jocl.CL.clReleaseMemObject;
import static org.jocl.CL.clSetKernelArg;
import static org.jocl.CL.clWaitForEvents;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ChannelShape;
import ember.backend.MarkTimer;
import ember.backend.Checks;
import ember.backend.ConvShape;
import ember.backend.PhaseTimer;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * The OpenCL backend: float32 buffers in device memory, one in-order queue, every primitive as
 * our OpenCL C 1.2 kernels (kernels/opencl/*.cl): direct convolutions, a GEMM, batch norm with
 * per-channel reductions in a fixed order, so results do not depend on the schedule. Ops queue
 * work and return; {@link #read} waits. Runs on PoCL (CI's CPU device) and on GPU drivers.
 * Use from one thread at a time.
 */
public final class OpenClBackend implements Backend {
    /**
     * How batch norm sums each channel: in PLANES, one work-item per (image, channel) plane, then
     * one per channel over the batch (kernels/opencl/batchnorm_planes.cl: whole vectors on a CPU
     * device); in GROUPS, one work-group per channel (kernels/ember_resnet_ops.h, shared with CUDA:
     * the GPU's way). Both sum in a fixed order.
     */
    public enum Reductions {
        PLANES, GROUPS
    }

    /** Work-items per group dimension the global sizes are rounded up to (kernels check their bounds). */
    private static final int ROUND = 64, ROUND_2D = 16;
    /** Work-items per group of the reductions: EMBER_BLOCK in kernels/ember_dialect.h. */
    private static final int BLOCK = 256;

    private final OpenClDevices.Device device;
    private final Reductions reductions;
    private final cl_context context;
    private final cl_command_queue queue;
    private final ClProgram program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    /** Three ints a kernel sets when it meets a value only the device sees (a gather index, a label). */
    private final cl_mem fault;
    /** A buffer for kernel arguments that are absent (no momentum buffer without momentum). */
    private final ClBuffer none;
    /** Per-row or per-channel partial results of the ops that reduce in two kernels; grown to the largest use. */
    private ClBuffer scratch;
    private long allocations;
    private boolean closed;

    private OpenClBackend(OpenClDevices.Device device, Reductions reductions) {
        this.device = device;
        this.reductions = reductions;
        this.context = clCreateContext(null, 1, new org.jocl.cl_device_id[] {device.id()}, null, null, null);
        // Profiling on: the phase timer reads when marks in the queue completed.
        this.queue = clCreateCommandQueue(context, device.id(), CL_QUEUE_PROFILING_ENABLE, null);
        this.program = ClProgram.build(context, device);
        this.fault = clCreateBuffer(context, CL_MEM_READ_WRITE, 3L * Sizeof.cl_int, null, null);
        clEnqueueFillBuffer(queue, fault, Pointer.to(new int[] {0}), Sizeof.cl_int, 0, 3L * Sizeof.cl_int, 0, null,
                null);
        this.none = create(1);
        this.scratch = create(256);
    }

    /**
     * The device "opencl" names (the first GPU, else the first device) or "opencl:N" (the N-th
     * of {@link OpenClDevices#list()}); an IllegalArgumentException names what was found otherwise.
     */
    public static OpenClBackend open(String device) {
        return open(device, null);
    }

    /** As {@link #open(String)}, with batch norm's reductions as given (null: PLANES on a CPU device, else GROUPS). */
    public static OpenClBackend open(String device, Reductions reductions) {
        OpenClDevices.Listing listing = OpenClDevices.list();
        if (!listing.any()) {
            throw new IllegalArgumentException("--device " + device + ": " + listing.reason());
        }
        int index = 0;
        if (device.startsWith("opencl:")) {
            try {
                index = Integer.parseInt(device.substring("opencl:".length()));
            } catch (NumberFormatException e) {
                index = -1;
            }
            if (index < 0 || index >= listing.devices().size()) {
                throw new IllegalArgumentException("--device " + device + ": no such OpenCL device; this machine has "
                        + listing.table());
            }
        }
        OpenClDevices.Device chosen = listing.devices().get(index);
        return new OpenClBackend(chosen, reductions != null ? reductions
                : chosen.gpu() ? Reductions.GROUPS : Reductions.PLANES);
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public String description() {
        return "opencl (" + device.describe() + "; kernels " + program.origin() + "; batch-norm sums by "
                + (reductions == Reductions.PLANES ? "plane" : "channel work-group") + ")";
    }

    @Override
    public long allocations() {
        return allocations;
    }

    @Override
    public Buffer allocate(int length) {
        Checks.allocation(length);
        allocations++;
        return create(length);
    }

    /** A zero-filled buffer, not counted in {@link #allocations()} (the backend's own). */
    private ClBuffer create(int length) {
        current();
        if (length == 0) {
            return new ClBuffer(0, null);
        }
        long bytes = (long) length * Sizeof.cl_float;
        cl_mem memory = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
        clEnqueueFillBuffer(queue, memory, Pointer.to(new float[] {0f}), Sizeof.cl_float, 0, bytes, 0, null, null);
        return new ClBuffer(length, memory);
    }

    @Override
    public void write(Buffer dst, float[] src) {
        ClBuffer d = ClBuffer.of(dst);
        if (src.length < d.length()) {
            throw new IllegalArgumentException("write: " + src.length + " values into a buffer of " + d.length());
        }
        if (d.length() > 0) {
            current();
            clEnqueueWriteBuffer(queue, d.memory(), true, bytes(d.offset()), bytes(d.length()), Pointer.to(src), 0,
                    null, null);
        }
    }

    @Override
    public void read(Buffer src, float[] dst) {
        ClBuffer s = ClBuffer.of(src);
        if (dst.length < s.length()) {
            throw new IllegalArgumentException("read: " + s.length() + " values into an array of " + dst.length);
        }
        current();
        if (s.length() > 0) {
            clEnqueueReadBuffer(queue, s.memory(), true, bytes(s.offset()), bytes(s.length()), Pointer.to(dst), 0,
                    null, null);
        }
        raiseFault();
    }

    /** A fault a kernel recorded since the last read, as the exception the CPU backend throws for it. */
    private void raiseFault() {
        int[] word = new int[3];
        clEnqueueReadBuffer(queue, fault, true, 0, 3L * Sizeof.cl_int, Pointer.to(word), 0, null, null);
        if (word[0] == 0) {
            return;
        }
        clEnqueueFillBuffer(queue, fault, Pointer.to(new int[] {0}), Sizeof.cl_int, 0, 3L * Sizeof.cl_int, 0, null,
                null);
        float value = Float.intBitsToFloat(word[1]);
        String what = word[0] == 1 ? "gatherRows: index " : "softmaxCrossEntropy: label ";
        throw new IndexOutOfBoundsException(what + value + " outside 0.." + (word[2] - 1));
    }

    private static long bytes(int floats) {
        return (long) floats * Sizeof.cl_float;
    }

    @Override
    public void copy(Buffer src, Buffer dst) {
        Checks.sameLength("copy", src, dst);
        Checks.disjoint("copy", "src", src, "dst", dst);
        ClBuffer s = ClBuffer.of(src), d = ClBuffer.of(dst);
        if (s.length() > 0) {
            current();
            clEnqueueCopyBuffer(queue, s.memory(), d.memory(), bytes(s.offset()), bytes(d.offset()), bytes(s.length()),
                    0, null, null);
        }
    }

    @Override
    public void fill(Buffer x, float value) {
        launch("ember_fill", x.length(), x, x.length(), value);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buffer a, Buffer b, float beta,
                     Buffer c) {
        Checks.gemm(m, n, k, a, b, c);
        if (m == 0 || n == 0) {
            return;
        }
        launch2d("ember_gemm", n, m, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, b, beta, c);
    }

    @Override
    public void addBias(Buffer y, Buffer bias, int rows, int cols) {
        Checks.atLeast("addBias", "y", y, (long) rows * cols);
        Checks.atLeast("addBias", "bias", bias, cols);
        launch("ember_add_bias", (long) rows * cols, y, bias, rows, cols);
    }

    @Override
    public void sumRows(Buffer dy, Buffer biasGrad, int rows, int cols) {
        Checks.atLeast("sumRows", "dy", dy, (long) rows * cols);
        Checks.atLeast("sumRows", "biasGrad", biasGrad, cols);
        launch("ember_sum_rows", cols, dy, biasGrad, rows, cols);
    }

    @Override
    public void relu(Buffer x, Buffer y) {
        Checks.sameLength("relu", x, y);
        launch("ember_relu", x.length(), x, y, x.length());
    }

    @Override
    public void reluBackward(Buffer x, Buffer dy, Buffer dx) {
        Checks.sameLength("reluBackward", x, dy);
        Checks.sameLength("reluBackward", x, dx);
        launch("ember_relu_backward", x.length(), x, dy, dx, x.length());
    }

    @Override
    public void tanh(Buffer x, Buffer y) {
        Checks.sameLength("tanh", x, y);
        launch("ember_tanh", x.length(), x, y, x.length());
    }

    @Override
    public void tanhBackward(Buffer y, Buffer dy, Buffer dx) {
        Checks.sameLength("tanhBackward", y, dy);
        Checks.sameLength("tanhBackward", y, dx);
        launch("ember_tanh_backward", y.length(), y, dy, dx, y.length());
    }

    @Override
    public void add(Buffer a, Buffer b, Buffer y) {
        Checks.sameLength("add", a, b);
        Checks.sameLength("add", a, y);
        launch("ember_add", a.length(), a.length(), a, b, y);
    }

    @Override
    public void gatherRows(Buffer table, Buffer indices, Buffer out, int width) {
        int count = indices.length();
        Checks.atLeast("gatherRows", "out", out, (long) count * width);
        launch("ember_gather_rows", (long) count * width, table, table.length() / width, indices, out, width, count,
                fault);
    }

    @Override
    public void mseLoss(Buffer pred, Buffer target, Buffer loss) {
        Checks.sameLength("mseLoss", pred, target);
        launch("ember_mse_loss", 1, pred, target, pred.length(), loss);
    }

    @Override
    public void mseBackward(Buffer pred, Buffer target, Buffer dpred) {
        Checks.sameLength("mseBackward", pred, target);
        Checks.sameLength("mseBackward", pred, dpred);
        launch("ember_mse_backward", pred.length(), pred, target, dpred, pred.length());
    }

    @Override
    public void softmaxCrossEntropy(int batch, int classes, Buffer logits, Buffer labels, Buffer dlogits, Buffer sums) {
        Checks.crossEntropy(batch, classes, logits, labels, dlogits, sums);
        cl_mem rows = scratch(2 * batch).memory();
        launch("ember_softmax_cross_entropy", batch, batch, classes, logits, labels, dlogits, rows, 0, fault);
        launch("ember_add_row_stats", 1, batch, rows, 0, sums);
    }

    @Override
    public void sgdStep(Buffer params, Buffer grads, Buffer velocity, Buffer lr, float momentum, float weightDecay) {
        Checks.sameLength("sgdStep", params, grads);
        Checks.atLeast("sgdStep", "lr", lr, 1);
        boolean useMomentum = momentum != 0;
        if (useMomentum) {
            Checks.sameLength("sgdStep", params, velocity);
        }
        launch("ember_sgd_step", params.length(), params, grads, useMomentum ? velocity : none, params.length(), lr,
                momentum, weightDecay, useMomentum ? 1 : 0);
    }

    // ResNet's convolutions (3 x 3 at stride 1 and 2, the 1 x 1 stride-2 shortcut) run as direct
    // kernels (kernels/opencl/conv_direct.cl, planned by DirectConv), the 3 x 3 ones over
    // zero-padded copies of their inputs; the others as im2col + GEMM over the whole batch: the
    // images are unfolded into the scratch buffer (per image, patch rows of inChannels·k² by
    // output pixels) and multiplied by the weights, image by image in the third launch dimension.

    /** Images per part of the direct weight gradient: its parts are summed in order afterwards. */
    private static final int FILTER_CHUNK = 16;

    @Override
    public void conv2d(ConvShape s, Buffer x, Buffer w, Buffer y) {
        Checks.conv(s, x, w, y);
        String kernel = DirectConv.forward(s);
        if (kernel != null) {
            Buffer input = DirectConv.padded(s) ? pad(s.batch() * s.inChannels(), s.height(), s.width(), x, 0) : x;
            direct(kernel, s, s.inChannels(), s.outChannels(), input, w, y);
            return;
        }
        int pixels = s.outHeight() * s.outWidth(), cols = s.patchSize() * pixels;
        cl_mem col = scratch(s.batch() * cols).memory();
        unfold(s, x, col);
        enqueue("ember_gemm_rows8", rows8(s.outChannels(), pixels, s.batch()), null, 0, s.outChannels(), pixels,
                s.patchSize(), 1f, w, col, 0, cols, 0f, y, imageOut(s));
    }

    @Override
    public void conv2dBackwardData(ConvShape s, Buffer dy, Buffer w, Buffer dx) {
        Checks.conv(s, dx, w, dy);
        String kernel = DirectConv.backwardData(s);
        if (kernel != null && s.stride() == 1) {
            // The adjoint of a stride-1, padding-1 3 x 3 convolution is one too, with the taps
            // reversed and in and out exchanged.
            int padded = s.batch() * s.outChannels() * (s.height() + 2) * (s.width() + 2);
            Buffer flipped = scratch(s.weightSize() + padded).slice(0, s.weightSize());
            launch("ember_flip3x3", s.weightSize(), s.outChannels(), s.inChannels(), w, flipped);
            Buffer dyPadded = pad(s.batch() * s.outChannels(), s.height(), s.width(), dy, s.weightSize());
            direct(kernel, s, s.outChannels(), s.inChannels(), dyPadded, flipped, dx);
            return;
        }
        if (kernel != null) {
            // At stride 2, each input pixel gathers the taps of its row's and column's parity.
            Buffer input = DirectConv.padded(s) ? pad(s.batch() * s.outChannels(), s.outHeight(), s.outWidth(), dy, 0)
                    : dy;
            enqueue(kernel, new long[] {s.outWidth() / DirectConv.DATA_SEGMENT, s.outHeight(),
                (long) s.batch() * (s.inChannels() / DirectConv.DATA_BLOCK)}, null, s.inChannels(), s.height(),
                    s.width(), s.outChannels(), s.outHeight(), s.outWidth(), input, w, dx);
            return;
        }
        int pixels = s.outHeight() * s.outWidth(), cols = s.patchSize() * pixels;
        cl_mem col = scratch(s.batch() * cols).memory();
        enqueue("ember_gemm_rows8", rows8(s.patchSize(), pixels, s.batch()), null, 1, s.patchSize(), pixels,
                s.outChannels(), 1f, w, dy, imageOut(s), 0f, col, 0, cols);
        enqueue("ember_col2im", new long[] {roundUp(imageIn(s), ROUND), s.batch()}, null, geometry(s, col, dx));
    }

    @Override
    public void conv2dBackwardFilter(ConvShape s, Buffer x, Buffer dy, Buffer dw) {
        Checks.conv(s, x, dw, dy);
        String kernel = DirectConv.filter(s);
        if (kernel != null) {
            int parts = (s.batch() + FILTER_CHUNK - 1) / FILTER_CHUNK, partSize = parts * s.weightSize();
            Buffer input = DirectConv.padded(s) ? pad(s.batch() * s.inChannels(), s.height(), s.width(), x, partSize)
                    : x;
            Buffer part = scratch(partSize).slice(0, partSize);
            int pad = 2 * s.padding(); // the input's planes are padded by it on every side
            enqueue(kernel, new long[] {s.inChannels(), s.outChannels() / 2, parts}, null, s.batch(), FILTER_CHUNK,
                    s.inChannels(), s.height() + pad, s.width() + pad, s.outChannels(), s.outHeight(), s.outWidth(),
                    input, dy, part);
            launch("ember_sum_rows", s.weightSize(), part, dw, parts, s.weightSize());
            return;
        }
        int pixels = s.outHeight() * s.outWidth(), cols = s.patchSize() * pixels;
        cl_mem col = scratch(s.batch() * cols).memory();
        unfold(s, x, col);
        // dw[o, patch] += Σ over images of dy[o, :] · col[patch, :], image after image: a fixed order.
        enqueue("ember_gemm_dot_rows", new long[] {roundUp((s.patchSize() + 3) / 4, ROUND_2D),
            roundUp(s.outChannels(), ROUND_2D)}, null, s.batch(), s.outChannels(), s.patchSize(), pixels, dy, imageOut(s),
                col, cols, dw);
    }

    /**
     * planes planes of h x w from x, padded by one zero on every side, into the scratch buffer
     * after its first {@code after} floats (which the caller uses).
     */
    private Buffer pad(int planes, int h, int w, Buffer x, int after) {
        int size = planes * (h + 2) * (w + 2);
        Buffer padded = scratch(after + size).slice(after, size);
        enqueue("ember_pad1", new long[] {w + 2, h + 2, planes}, null, h, w, x, padded);
        return padded;
    }

    /**
     * A direct forward kernel of s's geometry from {@code inChannels} input planes (padded where
     * the kernel is 3 x 3) to {@code outChannels} output planes of s's output size.
     */
    private void direct(String kernel, ConvShape s, int inChannels, int outChannels, Buffer input, Buffer weights,
                        Buffer y) {
        int pad = 2 * s.padding(); // the input's planes are padded by it on every side
        enqueue(kernel, new long[] {s.outWidth() / DirectConv.segment(s), s.outHeight() / DirectConv.rows(s),
            (long) s.batch() * (outChannels / DirectConv.FORWARD_BLOCK)}, null, inChannels, s.height() + pad,
                s.width() + pad, outChannels, s.outHeight(), s.outWidth(), input, weights, y);
    }

    private static int imageIn(ConvShape s) {
        return s.inChannels() * s.height() * s.width();
    }

    private static int imageOut(ConvShape s) {
        return s.outChannels() * s.outHeight() * s.outWidth();
    }

    /** Every image of x into col, one patch matrix after another. */
    private void unfold(ConvShape s, Buffer x, cl_mem col) {
        enqueue("ember_im2col", new long[] {roundUp((long) s.patchSize() * s.outHeight() * s.outWidth(), ROUND),
            s.batch()}, null, geometry(s, x, col));
    }

    /** The geometry im2col and col2im take, then their two buffers. */
    private static Object[] geometry(ConvShape s, Object first, Object second) {
        return new Object[] {s.inChannels(), s.height(), s.width(), s.kernel(), s.stride(), s.padding(), s.outHeight(),
            s.outWidth(), first, second};
    }

    /** ember_gemm_rows8's global size: blocks of 8 columns, blocks of 4 rows, images. */
    private static long[] rows8(int rows, int columns, int images) {
        return new long[] {roundUp((columns + 7) / 8, ROUND_2D), roundUp((rows + 3) / 4, ROUND_2D), images};
    }

    @Override
    public void batchNormTraining(ChannelShape s, Buffer x, Buffer gamma, Buffer beta, Buffer y, Buffer runningMean,
                                  Buffer runningVar, Buffer savedMean, Buffer savedInvStd, float momentum, float eps) {
        batchNormReluTraining(s, x, null, gamma, beta, null, false, y, runningMean, runningVar, savedMean,
                savedInvStd, momentum, eps);
    }

    @Override
    public void batchNormReluTraining(ChannelShape s, Buffer x, Buffer stats, Buffer gamma, Buffer beta,
                                      Buffer residual, Buffer y, Buffer runningMean, Buffer runningVar,
                                      Buffer savedMean, Buffer savedInvStd, float momentum, float eps) {
        batchNormReluTraining(s, x, stats, gamma, beta, residual, true, y, runningMean, runningVar, savedMean,
                savedInvStd, momentum, eps);
    }

    /** Batch norm in training mode, then the residual added (unless null) and the ReLU (if relu), in one pass. */
    private void batchNormReluTraining(ChannelShape s, Buffer x, Buffer stats, Buffer gamma, Buffer beta,
                                       Buffer residual, boolean relu, Buffer y, Buffer runningMean,
                                       Buffer runningVar, Buffer savedMean, Buffer savedInvStd, float momentum,
                                       float eps) {
        Checks.channels("batchNormTraining", s, x, y, gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        if (residual != null) {
            Checks.sameLength("batchNormReluTraining", residual, y);
        }
        if (reductions == Reductions.PLANES) {
            int planes = s.batch() * s.channels();
            Buffer part = scratch(planes).slice(0, planes);
            launch("ember_plane_sums", planes, planes, s.channels(), s.pixels(), x, 0, x, part);
            launch("ember_plane_mean", s.channels(), s.batch(), s.channels(), s.pixels(), part, savedMean);
            launch("ember_plane_sums", planes, planes, s.channels(), s.pixels(), x, 1, savedMean, part);
            launch("ember_plane_variance", s.channels(), s.batch(), s.channels(), s.pixels(), part, runningMean,
                    runningVar, savedMean, savedInvStd, momentum, eps);
        } else {
            launchGroups("ember_batch_norm_statistics", s.channels(), s.batch(), s.channels(), s.pixels(), x,
                    runningMean, runningVar, savedMean, savedInvStd, momentum, eps);
        }
        launchPlanes("ember_batch_norm_apply", s, s.batch(), s.channels(), s.pixels(), x, gamma, beta, savedMean,
                savedInvStd, 0, eps, residual != null ? 1 : 0, residual != null ? residual : x, relu ? 1 : 0, y);
    }

    @Override
    public void batchNormInference(ChannelShape s, Buffer x, Buffer gamma, Buffer beta, Buffer y, Buffer runningMean,
                                   Buffer runningVar, float eps) {
        Checks.channels("batchNormInference", s, x, y, gamma, beta, runningMean, runningVar);
        launchPlanes("ember_batch_norm_apply", s, s.batch(), s.channels(), s.pixels(), x, gamma, beta, runningMean,
                runningVar, 1, eps, 0, x, 0, y);
    }

    @Override
    public void batchNormBackward(ChannelShape s, Buffer x, Buffer dy, Buffer gamma, Buffer savedMean,
                                  Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        batchNormBackward(s, x, null, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
    }

    @Override
    public void batchNormReluBackward(ChannelShape s, Buffer x, Buffer y, Buffer dy, Buffer gamma, Buffer beta,
                                      Buffer savedMean, Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        Checks.sameLength("batchNormReluBackward", y, x);
        batchNormBackward(s, x, y, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
    }

    /** Batch norm's backward, with dy masked where the forward output y is not positive (unless y is null). */
    private void batchNormBackward(ChannelShape s, Buffer x, Buffer y, Buffer dy, Buffer gamma, Buffer savedMean,
                                   Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        Checks.channels("batchNormBackward", s, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
        int planes = s.batch() * s.channels(), sumsSize = 2 * s.channels();
        Buffer area = scratch(sumsSize + 2 * planes), sums = area.slice(0, sumsSize);
        int relu = y != null ? 1 : 0;
        Buffer mask = y != null ? y : dy; // read either way (ember_resnet_ops.h)
        if (reductions == Reductions.PLANES) {
            Buffer part = area.slice(sumsSize, 2 * planes);
            launch("ember_plane_backward_sums", planes, planes, s.channels(), s.pixels(), x, dy, relu, mask,
                    savedMean, savedInvStd, part);
            launch("ember_plane_backward_finish", s.channels(), s.batch(), s.channels(), part, sums, dgamma, dbeta);
        } else {
            launchGroups("ember_batch_norm_backward_sums", s.channels(), s.batch(), s.channels(), s.pixels(), x,
                    dy, relu, mask, savedMean, savedInvStd, sums, dgamma, dbeta);
        }
        launchPlanes("ember_batch_norm_backward_data", s, s.batch(), s.channels(), s.pixels(), x, dy, relu, mask,
                gamma, savedMean, savedInvStd, sums, dx);
    }

    @Override
    public void globalAvgPool(ChannelShape s, Buffer x, Buffer y) {
        Checks.pooling("globalAvgPool", s, "x", x, "y", y);
        launch("ember_global_avg_pool", (long) s.batch() * s.channels(), s.batch() * s.channels(), s.pixels(), x, y);
    }

    @Override
    public void globalAvgPoolBackward(ChannelShape s, Buffer dy, Buffer dx) {
        Checks.pooling("globalAvgPoolBackward", s, "dx", dx, "dy", dy);
        launchPlanes("ember_global_avg_pool_backward", s, s.batch() * s.channels(), s.pixels(), dy, dx);
    }

    /** Laps as markers in the queue, timed by when the device completed them. */
    @Override
    public PhaseTimer phaseTimer(int phases) {
        return new MarkerTimer(phases);
    }

    private final class MarkerTimer extends MarkTimer<cl_event> {
        MarkerTimer(int count) {
            super(count);
            start();
        }

        @Override
        protected cl_event mark() {
            current();
            cl_event event = new cl_event();
            clEnqueueMarkerWithWaitList(queue, 0, null, event);
            return event;
        }

        @Override
        protected void waitFor(cl_event mark) {
            clWaitForEvents(1, new cl_event[] {mark});
        }

        @Override
        protected double seconds(cl_event from, cl_event to) {
            return (completed(to) - completed(from)) / 1e9;
        }

        @Override
        protected void release(cl_event mark) {
            clReleaseEvent(mark);
        }

        private static long completed(cl_event event) {
            long[] nanos = new long[1];
            clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, Sizeof.cl_ulong,
                    Pointer.to(nanos), null);
            return nanos[0];
        }
    }

    /** The scratch buffer, grown (once, to the largest use) to hold at least floats values. */
    private ClBuffer scratch(int floats) {
        if (scratch.length() < floats) {
            scratch.close();
            scratch = create(floats);
        }
        return scratch;
    }

    /** A one-dimensional launch over n work-items (rounded up; the kernels check their bounds). */
    private void launch(String kernel, long n, Object... args) {
        if (n > 0) {
            enqueue(kernel, new long[] {roundUp(n, ROUND)}, null, args);
        }
    }

    /** {@code groups} work-groups of EMBER_BLOCK (kernels/ember_dialect.h) work-items: the per-channel reductions. */
    private void launchGroups(String kernel, int groups, Object... args) {
        if (groups > 0) {
            enqueue(kernel, new long[] {(long) groups * BLOCK}, new long[] {BLOCK}, args);
        }
    }

    /** One work-item per value of the planes of s: pixels (rounded up) by planes (EMBER_FOR_EACH_IN_PLANES). */
    private void launchPlanes(String kernel, ChannelShape s, Object... args) {
        if (s.size() > 0) {
            enqueue(kernel, new long[] {roundUp(s.pixels(), ROUND), (long) s.batch() * s.channels()}, null, args);
        }
    }

    /** A two-dimensional launch over columns × rows. */
    private void launch2d(String kernel, long columns, long rows, Object... args) {
        enqueue(kernel, new long[] {roundUp(columns, ROUND_2D), roundUp(rows, ROUND_2D)}, null, args);
    }

    private static long roundUp(long n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /**
     * Sets the arguments in order (a {@link Buffer} is two: its allocation and its offset in
     * floats; a cl_mem one; Integer and Float one) and enqueues the kernel.
     */
    private void enqueue(String name, long[] global, long[] local, Object... args) {
        current();
        cl_kernel kernel = kernels.computeIfAbsent(name, program::kernel);
        int index = 0;
        for (Object arg : args) {
            switch (arg) {
                case Buffer b -> {
                    ClBuffer c = ClBuffer.of(b);
                    cl_mem memory = c.length() == 0 ? none.memory() : c.memory();
                    clSetKernelArg(kernel, index++, Sizeof.cl_mem, Pointer.to(memory));
                    clSetKernelArg(kernel, index++, Sizeof.cl_int, Pointer.to(new int[] {c.offset()}));
                }
                case cl_mem m -> clSetKernelArg(kernel, index++, Sizeof.cl_mem, Pointer.to(m));
                case Integer v -> clSetKernelArg(kernel, index++, Sizeof.cl_int, Pointer.to(new int[] {v}));
                case Float v -> clSetKernelArg(kernel, index++, Sizeof.cl_float,
                        Pointer.to(new float[] {v}));
                default -> throw new IllegalArgumentException("kernel argument of type " + arg.getClass());
            }
        }
        clEnqueueNDRangeKernel(queue, kernel, global.length, null, global, local, 0, null, null);
    }

    private void current() {
        if (closed) {
            throw new IllegalStateException("opencl backend used after close");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        clFinish(queue);
        closed = true;
        kernels.values().forEach(CL::clReleaseKernel);
        none.close();
        scratch.close();
        clReleaseMemObject(fault);
        program.close();
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }
}
