package ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ChannelShape;
import ember.backend.Checks;
import ember.backend.ConvShape;
import ember.backend.PhaseTimer;
import ember.backend.Precision;
import ember.backend.Primitive;
import ember.backend.RecordedStep;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream_flags;

/**
 * The GPU backend: float32 device memory, device 0's primary context (shared with cuBLAS and,
 * later, cuDNN), one stream for every copy, kernel and GEMM, our kernels from the packaged
 * fatbin, GEMM through cuBLAS. Ops queue work and return; {@link #read} waits. After warm-up,
 * ops allocate no device memory ({@link #deviceAllocations()} counts every cuMemAlloc).
 * Use from one thread at a time.
 */
public final class CudaBackend implements Backend {
    /** The fatbin built from kernels/ by kernels/build.sh, packaged in the jar. */
    static final String FATBIN = "/ember/cuda/kernels.fatbin";

    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final NativeAddress.Stream stream = new NativeAddress.Stream();
    private final CUmodule module = new CUmodule();
    private final String description;
    private final Elementwise elementwise;
    private final Loss loss;
    private final Optimizer optimizer;
    private final ResNetOps resnet;
    /** Null when cuDNN could not be opened: then the convolutions are lacking, and {@link #noCudnn} says why. */
    private final Cudnn cudnn;
    private final CudnnConvolutions convolutions;
    private final String noCudnn;
    private final Precision precision;
    private final Cublas cublas;
    private final NativeAddress.Device cublasWorkspace = new NativeAddress.Device();
    private final PinnedStaging writes;
    private final DeviceFault fault;
    private NativeAddress.Host readBack;
    private long readBackBytes;
    private Thread currentOn;
    private long allocations;
    private long liveBytes;
    private long peakBytes;
    private boolean closed;
    /** True while a {@link CudaGraphStep} captures the stream's work. */
    private boolean capturing;

    private CudaBackend(CudaProbe.Report report, Precision precision) {
        this.precision = precision;
        cuDeviceGet(device, 0);
        cuDevicePrimaryCtxRetain(context, device);
        cuCtxSetCurrent(context);
        currentOn = Thread.currentThread();
        // Non-blocking: our stream never waits on the legacy default stream other code may use.
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuModuleLoadData(module, fatbin());
        Launcher launcher = new Launcher(module, stream);
        elementwise = new Elementwise(launcher);
        loss = new Loss(launcher);
        optimizer = new Optimizer(launcher);
        cuMemAlloc(cublasWorkspace, Cublas.WORKSPACE_BYTES);
        cublas = Cublas.open(report.cublas(), stream.address(), cublasWorkspace.address());
        writes = new PinnedStaging(stream);
        fault = new DeviceFault(stream);
        resnet = new ResNetOps(launcher, fault, this::allocate);
        Cudnn opened = null;
        String why = null;
        CudnnLibrary library = null;
        try {
            library = CudnnLibrary.load();
            opened = Cudnn.open(library.front(), stream.address());
        } catch (RuntimeException e) {
            why = e.getMessage();
        }
        cudnn = opened;
        noCudnn = why;
        convolutions = opened == null ? null : new CudnnConvolutions(opened, this::allocate,
                precision == Precision.TF32 ? Cudnn.DEFAULT_MATH : Cudnn.FMA_MATH, true);
        description = describe(report, library);
    }

    /**
     * Opens device 0 with convolutions in {@code precision}, or throws {@link
     * CudaUnavailableException} saying what is missing. Without cuDNN it still opens, lacking
     * the convolutions (its description says why): exp1 needs none.
     */
    public static CudaBackend open(Precision precision) {
        CudaProbe.Report report = CudaProbe.check();
        if (!report.usable()) {
            throw new CudaUnavailableException(report.reason());
        }
        return new CudaBackend(report, precision);
    }

    private static byte[] fatbin() {
        try (InputStream in = CudaBackend.class.getResourceAsStream(FATBIN)) {
            if (in == null) {
                throw new IllegalStateException(FATBIN + " is not on the class path; build with kernels/build.sh --update");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + FATBIN, e);
        }
    }

    private String describe(CudaProbe.Report report, CudnnLibrary library) {
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int[] major = new int[1], minor = new int[1], driver = new int[1];
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        cuDriverGetVersion(driver);
        long[] memory = new long[1];
        cuDeviceTotalMem(memory, device);
        String deviceName = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
        String cudnnPart = cudnn != null
                ? cudnn.describe(library.front().how()) + ", convolutions in " + precision.flag()
                        + ", deterministic algorithms, steps replayed as CUDA graphs"
                : "no cuDNN, so no convolutions: " + noCudnn;
        return String.format(Locale.ROOT, "cuda (%s, sm_%d%d, %.1f GiB, driver API %d.%d, %s, %s)",
                deviceName, major[0], minor[0], memory[0] / (double) (1L << 30), driver[0] / 1000,
                driver[0] % 1000 / 10, cublas.describe(report.cublas().how()), cudnnPart);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return description;
    }

    /** How many buffers {@link #allocate} has made; a steady-state step adds none. */
    @Override
    public long allocations() {
        return allocations;
    }

    @Override
    public Buffer allocate(int length) {
        Checks.allocation(length);
        current();
        allocations++;
        if (length == 0) {
            return new CudaBuffer(0, null, freed -> {});
        }
        NativeAddress.Device memory = new NativeAddress.Device();
        long bytes = (long) length * Float.BYTES;
        cuMemAlloc(memory, bytes);
        liveBytes += bytes;
        peakBytes = Math.max(peakBytes, liveBytes);
        cuMemsetD32Async(memory, 0, length, stream);
        return new CudaBuffer(length, memory, freed -> liveBytes -= freed);
    }

    @Override
    public void write(Buffer dst, float[] src) {
        CudaBuffer d = CudaBuffer.of(dst);
        if (src.length < d.length()) {
            throw new IllegalArgumentException("write: " + src.length + " values into a buffer of " + d.length());
        }
        if (d.length() == 0) {
            return;
        }
        current();
        int slot = writes.acquire(d.bytes());
        MemorySegment.copy(src, 0, writes.segment(slot), ValueLayout.JAVA_FLOAT, 0, d.length());
        cuMemcpyHtoDAsync(d.pointer(), writes.pointer(slot), d.bytes(), stream);
        writes.queued(slot);
    }

    @Override
    public void read(Buffer src, float[] dst) {
        CudaBuffer s = CudaBuffer.of(src);
        if (dst.length < s.length()) {
            throw new IllegalArgumentException("read: " + s.length() + " values into an array of " + dst.length);
        }
        current();
        long faultAt = (s.bytes() + 15) / 16 * 16;
        ensureReadBack(faultAt + DeviceFault.BYTES);
        if (s.length() > 0) {
            cuMemcpyDtoHAsync(readBack, s.pointer(), s.bytes(), stream);
        }
        cuMemcpyDtoHAsync(readBack.withByteOffset(faultAt), fault.pointer(), DeviceFault.BYTES, stream);
        cuStreamSynchronize(stream);
        MemorySegment host = MemorySegment.ofAddress(readBack.address()).reinterpret(readBackBytes);
        fault.raiseIfSet(host.asSlice(faultAt, DeviceFault.BYTES));
        MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, dst, 0, s.length());
    }

    private void ensureReadBack(long bytes) {
        if (readBackBytes < bytes) {
            if (readBack != null) {
                jcuda.driver.JCudaDriver.cuMemFreeHost(readBack);
            }
            readBack = new NativeAddress.Host();
            jcuda.driver.JCudaDriver.cuMemAllocHost(readBack, bytes);
            readBackBytes = bytes;
        }
    }

    @Override
    public void copy(Buffer src, Buffer dst) {
        Checks.sameLength("copy", src, dst);
        Checks.disjoint("copy", "src", src, "dst", dst);
        CudaBuffer s = CudaBuffer.of(src), d = CudaBuffer.of(dst);
        if (s.length() > 0) {
            current();
            cuMemcpyDtoDAsync(d.pointer(), s.pointer(), s.bytes(), stream);
        }
    }

    @Override
    public void fill(Buffer x, float value) {
        current();
        elementwise.fill(x, value);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Buffer a, Buffer b, float beta, Buffer c) {
        Checks.gemm(m, n, k, a, b, c);
        if (m == 0 || n == 0) {
            return;
        }
        current();
        cublas.sgemm(transA, transB, m, n, k, alpha, CudaBuffer.of(a).address(), CudaBuffer.of(b).address(),
                beta, CudaBuffer.of(c).address());
    }

    @Override
    public void addBias(Buffer y, Buffer bias, int rows, int cols) {
        current();
        elementwise.addBias(y, bias, rows, cols);
    }

    @Override
    public void sumRows(Buffer dy, Buffer biasGrad, int rows, int cols) {
        current();
        elementwise.sumRows(dy, biasGrad, rows, cols);
    }

    @Override
    public void relu(Buffer x, Buffer y) {
        current();
        elementwise.relu(x, y);
    }

    @Override
    public void reluBackward(Buffer x, Buffer dy, Buffer dx) {
        current();
        elementwise.reluBackward(x, dy, dx);
    }

    @Override
    public void tanh(Buffer x, Buffer y) {
        current();
        elementwise.tanh(x, y);
    }

    @Override
    public void tanhBackward(Buffer y, Buffer dy, Buffer dx) {
        current();
        elementwise.tanhBackward(y, dy, dx);
    }

    @Override
    public void mseLoss(Buffer pred, Buffer target, Buffer lossOut) {
        current();
        loss.mseLoss(pred, target, lossOut);
    }

    @Override
    public void mseBackward(Buffer pred, Buffer target, Buffer dpred) {
        current();
        loss.mseBackward(pred, target, dpred);
    }

    @Override
    public void sgdStep(Buffer params, Buffer grads, Buffer velocity, Buffer lr, float momentum, float weightDecay) {
        current();
        optimizer.sgdStep(params, grads, velocity, lr, momentum, weightDecay);
    }

    @Override
    public void gatherRows(Buffer table, Buffer indices, Buffer out, int width) {
        current();
        elementwise.gatherRows(table, indices, out, width, fault);
    }

    @Override
    public void add(Buffer a, Buffer b, Buffer y) {
        current();
        resnet.add(a, b, y);
    }

    // Convolutions are cuDNN's. Without it, lacks() lists them, so a job that needs them refuses
    // this backend before it starts, and each throws saying why if called anyway.

    private static final Set<Primitive> CONVOLUTIONS = EnumSet.of(Primitive.CONV2D,
            Primitive.CONV2D_BACKWARD_DATA, Primitive.CONV2D_BACKWARD_FILTER);

    @Override
    public Set<Primitive> lacks() {
        return convolutions == null ? EnumSet.copyOf(CONVOLUTIONS) : EnumSet.noneOf(Primitive.class);
    }

    @Override
    public void conv2d(ConvShape shape, Buffer x, Buffer w, Buffer y) {
        Checks.conv(shape, x, w, y);
        current();
        cudnn("conv2d").forward(shape, CudaBuffer.of(x), CudaBuffer.of(w), CudaBuffer.of(y));
    }

    @Override
    public void conv2dBackwardData(ConvShape shape, Buffer dy, Buffer w, Buffer dx) {
        Checks.conv(shape, dx, w, dy);
        current();
        cudnn("conv2dBackwardData").backwardData(shape, CudaBuffer.of(dy), CudaBuffer.of(w), CudaBuffer.of(dx));
    }

    @Override
    public void conv2dBackwardFilter(ConvShape shape, Buffer x, Buffer dy, Buffer dw) {
        Checks.conv(shape, x, dw, dy);
        current();
        cudnn("conv2dBackwardFilter").backwardFilter(shape, CudaBuffer.of(x), CudaBuffer.of(dy), CudaBuffer.of(dw));
    }

    private CudnnConvolutions cudnn(String op) {
        if (convolutions == null) {
            throw new UnsupportedOperationException(op + " needs cuDNN, which did not open: " + noCudnn
                    + "; use --device cpu");
        }
        return convolutions;
    }

    /**
     * Device memory: the peak of our own buffers (workspaces and scratch included), and what the
     * driver counts as used on the device now (cuMemGetInfo: every process, the context, cuBLAS's
     * and cuDNN's own allocations too), for comparing with PyTorch's max_memory_allocated.
     */
    public String memoryReport() {
        current();
        long[] free = new long[1], total = new long[1];
        jcuda.driver.JCudaDriver.cuMemGetInfo(free, total);
        return String.format(Locale.ROOT, "cuda memory: peak of ember's buffers %.1f MiB; device memory in use now"
                + " %.1f of %.1f MiB (driver's count, all processes and contexts)", peakBytes / 1048576.0,
                (total[0] - free[0]) / 1048576.0, total[0] / 1048576.0);
    }

    /** What cuDNN chose for each convolution planned so far, one line each (the GPU check logs it). */
    public java.util.List<String> convolutionPlans() {
        return convolutions == null ? java.util.List.of() : convolutions.describe();
    }

    /** A CUDA graph, unless EMBER_CUDA_GRAPHS=0 asks for every step op by op (to compare, or to debug). */
    @Override
    public RecordedStep record(Runnable work) {
        if ("0".equals(System.getenv("EMBER_CUDA_GRAPHS"))) {
            return RecordedStep.direct(work);
        }
        return new CudaGraphStep(work, stream, this::current, capturing -> this.capturing = capturing);
    }

    /** Laps as events in the stream (skipped while a step is being captured). */
    @Override
    public PhaseTimer phaseTimer(int phases) {
        current();
        return new EventTimer(stream, () -> capturing, phases);
    }

    @Override
    public void batchNormTraining(ChannelShape shape, Buffer x, Buffer gamma, Buffer beta, Buffer y,
                                  Buffer runningMean, Buffer runningVar, Buffer savedMean, Buffer savedInvStd,
                                  float momentum, float eps) {
        current();
        resnet.batchNormTraining(shape, x, gamma, beta, null, false, y, runningMean, runningVar, savedMean,
                savedInvStd, momentum, eps);
    }

    @Override
    public void batchNormReluTraining(ChannelShape shape, Buffer x, Buffer stats, Buffer gamma, Buffer beta,
                                      Buffer residual, Buffer y, Buffer runningMean, Buffer runningVar,
                                      Buffer savedMean, Buffer savedInvStd, float momentum, float eps) {
        current();
        resnet.batchNormTraining(shape, x, gamma, beta, residual, true, y, runningMean, runningVar, savedMean,
                savedInvStd, momentum, eps);
    }

    @Override
    public void batchNormInference(ChannelShape shape, Buffer x, Buffer gamma, Buffer beta, Buffer y,
                                   Buffer runningMean, Buffer runningVar, float eps) {
        current();
        resnet.batchNormInference(shape, x, gamma, beta, y, runningMean, runningVar, eps);
    }

    @Override
    public void batchNormBackward(ChannelShape shape, Buffer x, Buffer dy, Buffer gamma, Buffer savedMean,
                                  Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        current();
        resnet.batchNormBackward(shape, x, null, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
    }

    @Override
    public void batchNormReluBackward(ChannelShape shape, Buffer x, Buffer y, Buffer dy, Buffer gamma, Buffer beta,
                                      Buffer savedMean, Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        current();
        resnet.batchNormBackward(shape, x, y, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
    }

    @Override
    public void globalAvgPool(ChannelShape shape, Buffer x, Buffer y) {
        current();
        resnet.globalAvgPool(shape, x, y);
    }

    @Override
    public void globalAvgPoolBackward(ChannelShape shape, Buffer dy, Buffer dx) {
        current();
        resnet.globalAvgPoolBackward(shape, dy, dx);
    }

    @Override
    public void softmaxCrossEntropy(int batch, int classes, Buffer logits, Buffer labels, Buffer dlogits, Buffer sums) {
        current();
        resnet.softmaxCrossEntropy(batch, classes, logits, labels, dlogits, sums);
    }

    /** The primary context is current per thread; make it current on whichever thread calls. */
    private void current() {
        if (closed) {
            throw new IllegalStateException("cuda backend used after close");
        }
        if (Thread.currentThread() != currentOn) {
            cuCtxSetCurrent(context);
            currentOn = Thread.currentThread();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        current();
        closed = true;
        // Cleanup goes on past a failure, so one bad handle does not leak the rest.
        RuntimeException first = null;
        for (Runnable step : new Runnable[] {
                () -> cuStreamSynchronize(stream), () -> { if (convolutions != null) convolutions.close(); },
                () -> { if (cudnn != null) cudnn.close(); }, resnet::close, writes::close, fault::close, cublas::close,
                () -> jcuda.driver.JCudaDriver.cuMemFree(cublasWorkspace),
                () -> { if (readBack != null) jcuda.driver.JCudaDriver.cuMemFreeHost(readBack); },
                () -> cuModuleUnload(module), () -> cuStreamDestroy(stream),
                () -> cuDevicePrimaryCtxRelease(device)}) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (liveBytes > 0) {
            System.err.printf(Locale.ROOT, "ember: cuda backend closed with %d bytes of buffers still open%n", liveBytes);
        }
        if (first != null) {
            throw first;
        }
    }
}
