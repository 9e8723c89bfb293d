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
import ember.backend.Primitive;
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
    private final Cublas cublas;
    private final NativeAddress.Device cublasWorkspace = new NativeAddress.Device();
    private final PinnedStaging writes;
    private final DeviceFault fault;
    private NativeAddress.Host readBack;
    private long readBackBytes;
    private Thread currentOn;
    private long allocations;
    private long liveBytes;
    private boolean closed;

    private CudaBackend(CudaProbe.Report report) {
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
        description = describe(report);
    }

    /** Opens device 0, or throws {@link CudaUnavailableException} saying what is missing. */
    public static CudaBackend open() {
        CudaProbe.Report report = CudaProbe.check();
        if (!report.usable()) {
            throw new CudaUnavailableException(report.reason());
        }
        return new CudaBackend(report);
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

    private String describe(CudaProbe.Report report) {
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int[] major = new int[1], minor = new int[1], driver = new int[1];
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        cuDriverGetVersion(driver);
        long[] memory = new long[1];
        cuDeviceTotalMem(memory, device);
        String deviceName = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
        return String.format(Locale.ROOT, "cuda (%s, sm_%d%d, %.1f GiB, driver API %d.%d, %s)",
                deviceName, major[0], minor[0], memory[0] / (double) (1L << 30), driver[0] / 1000,
                driver[0] % 1000 / 10, cublas.describe(report.cublas().how()));
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

    // ResNet primitives (exp2) are not on the GPU yet: lacks() lists them, so a job that needs one
    // refuses this backend before it starts, and each throws naming itself if called anyway.
    // They come with cuDNN (docs/backends.md).

    /** The primitives below that only throw. */
    private static final Set<Primitive> NOT_YET = EnumSet.of(Primitive.ADD, Primitive.CONV2D,
            Primitive.CONV2D_BACKWARD_DATA, Primitive.CONV2D_BACKWARD_FILTER, Primitive.BATCH_NORM_TRAINING,
            Primitive.BATCH_NORM_INFERENCE, Primitive.BATCH_NORM_BACKWARD, Primitive.GLOBAL_AVG_POOL,
            Primitive.GLOBAL_AVG_POOL_BACKWARD, Primitive.SOFTMAX_CROSS_ENTROPY);

    @Override
    public Set<Primitive> lacks() {
        return EnumSet.copyOf(NOT_YET);
    }

    @Override
    public void add(Buffer a, Buffer b, Buffer y) {
        throw unsupported("add");
    }

    @Override
    public void conv2d(ConvShape shape, Buffer x, Buffer w, Buffer y) {
        throw unsupported("conv2d");
    }

    @Override
    public void conv2dBackwardData(ConvShape shape, Buffer dy, Buffer w, Buffer dx) {
        throw unsupported("conv2dBackwardData");
    }

    @Override
    public void conv2dBackwardFilter(ConvShape shape, Buffer x, Buffer dy, Buffer dw) {
        throw unsupported("conv2dBackwardFilter");
    }

    @Override
    public void batchNormTraining(ChannelShape shape, Buffer x, Buffer gamma, Buffer beta, Buffer y,
                                  Buffer runningMean, Buffer runningVar, Buffer savedMean, Buffer savedInvStd,
                                  float momentum, float eps) {
        throw unsupported("batchNormTraining");
    }

    @Override
    public void batchNormInference(ChannelShape shape, Buffer x, Buffer gamma, Buffer beta, Buffer y,
                                   Buffer runningMean, Buffer runningVar, float eps) {
        throw unsupported("batchNormInference");
    }

    @Override
    public void batchNormBackward(ChannelShape shape, Buffer x, Buffer dy, Buffer gamma, Buffer savedMean,
                                  Buffer savedInvStd, Buffer dx, Buffer dgamma, Buffer dbeta) {
        throw unsupported("batchNormBackward");
    }

    @Override
    public void globalAvgPool(ChannelShape shape, Buffer x, Buffer y) {
        throw unsupported("globalAvgPool");
    }

    @Override
    public void globalAvgPoolBackward(ChannelShape shape, Buffer dy, Buffer dx) {
        throw unsupported("globalAvgPoolBackward");
    }

    @Override
    public void softmaxCrossEntropy(int batch, int classes, Buffer logits, Buffer labels, Buffer dlogits, Buffer stats) {
        throw unsupported("softmaxCrossEntropy");
    }

    private static UnsupportedOperationException unsupported(String op) {
        return new UnsupportedOperationException(op + " is not implemented on the cuda backend yet (cuDNN is not bound);"
                + " use --device cpu");
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
                () -> cuStreamSynchronize(stream), writes::close, fault::close, cublas::close,
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
