package ember.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * cuDNN 9 through java.lang.foreign: one handle on our stream, and the legacy convolution API
 * (descriptors, the Find…Ex algorithm search, the three passes). Every signature below was read
 * off cudnn_graph.h, cudnn_ops.h and cudnn_cnn.h of cuDNN 9.6 (docs/cudnn.md lists them); the
 * enums are C ints, size_t is a long, handles and descriptors are pointers. alpha and beta are
 * host floats, read when a call is made (or frozen into a graph when it is captured).
 */
final class Cudnn implements AutoCloseable {
    /** cudnnDataType_t CUDNN_DATA_FLOAT and cudnnTensorFormat_t CUDNN_TENSOR_NCHW. */
    static final int DATA_FLOAT = 0, TENSOR_NCHW = 0;
    /** cudnnConvolutionMode_t: PyTorch's (and our) convolution is a cross-correlation. */
    static final int CROSS_CORRELATION = 1;
    /** cudnnMathType_t: DEFAULT lets fp32 convolutions use TF32 tensor cores on Ampere and later; FMA forbids it. */
    static final int DEFAULT_MATH = 0, FMA_MATH = 3;

    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout P = ValueLayout.ADDRESS;

    private final String library;
    private final long version;
    private final MethodHandle getErrorString, getLastErrorString, destroy;
    private final MethodHandle createTensor, setTensor4d, destroyTensor;
    private final MethodHandle createFilter, setFilter4d, destroyFilter;
    private final MethodHandle createConvolution, setConvolution2d, setMathType, destroyConvolution;
    private final MethodHandle findForward, findBackwardData, findBackwardFilter;
    private final MethodHandle forward, backwardData, backwardFilter;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment handle;
    private final MemorySegment one, zero;
    private boolean closed;

    private Cudnn(LibraryLocator.Found lib, long stream) {
        this.library = lib.file();
        MethodHandle getVersion = bind(lib, "cudnnGetVersion", FunctionDescriptor.of(L));
        getErrorString = bind(lib, "cudnnGetErrorString", FunctionDescriptor.of(P, I));
        getLastErrorString = bind(lib, "cudnnGetLastErrorString", FunctionDescriptor.ofVoid(P, L));
        MethodHandle create = bind(lib, "cudnnCreate", FunctionDescriptor.of(I, P));
        MethodHandle setStream = bind(lib, "cudnnSetStream", FunctionDescriptor.of(I, P, P));
        destroy = bind(lib, "cudnnDestroy", FunctionDescriptor.of(I, P));
        createTensor = bind(lib, "cudnnCreateTensorDescriptor", FunctionDescriptor.of(I, P));
        setTensor4d = bind(lib, "cudnnSetTensor4dDescriptor", FunctionDescriptor.of(I, P, I, I, I, I, I, I));
        destroyTensor = bind(lib, "cudnnDestroyTensorDescriptor", FunctionDescriptor.of(I, P));
        createFilter = bind(lib, "cudnnCreateFilterDescriptor", FunctionDescriptor.of(I, P));
        setFilter4d = bind(lib, "cudnnSetFilter4dDescriptor", FunctionDescriptor.of(I, P, I, I, I, I, I, I));
        destroyFilter = bind(lib, "cudnnDestroyFilterDescriptor", FunctionDescriptor.of(I, P));
        createConvolution = bind(lib, "cudnnCreateConvolutionDescriptor", FunctionDescriptor.of(I, P));
        setConvolution2d = bind(lib, "cudnnSetConvolution2dDescriptor",
                FunctionDescriptor.of(I, P, I, I, I, I, I, I, I, I));
        setMathType = bind(lib, "cudnnSetConvolutionMathType", FunctionDescriptor.of(I, P, I));
        destroyConvolution = bind(lib, "cudnnDestroyConvolutionDescriptor", FunctionDescriptor.of(I, P));
        // (handle, desc, data, desc, data, conv, desc, data, requested, *returned, *results, workspace, bytes)
        FunctionDescriptor find = FunctionDescriptor.of(I, P, P, P, P, P, P, P, P, I, P, P, P, L);
        findForward = bind(lib, "cudnnFindConvolutionForwardAlgorithmEx", find);
        findBackwardData = bind(lib, "cudnnFindConvolutionBackwardDataAlgorithmEx", find);
        findBackwardFilter = bind(lib, "cudnnFindConvolutionBackwardFilterAlgorithmEx", find);
        // (handle, *alpha, desc, data, desc, data, conv, algo, workspace, bytes, *beta, desc, data)
        FunctionDescriptor run = FunctionDescriptor.of(I, P, P, P, P, P, P, P, I, P, L, P, P, P);
        forward = bind(lib, "cudnnConvolutionForward", run);
        backwardData = bind(lib, "cudnnConvolutionBackwardData", run);
        backwardFilter = bind(lib, "cudnnConvolutionBackwardFilter", run);
        this.version = (long) invoke("cudnnGetVersion", getVersion);
        this.one = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        this.zero = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
        MemorySegment slot = arena.allocate(P);
        check("cudnnCreate", (int) invoke("cudnnCreate", create, slot));
        this.handle = slot.get(P, 0);
        check("cudnnSetStream", (int) invoke("cudnnSetStream", setStream, handle, MemorySegment.ofAddress(stream)));
    }

    /**
     * A handle from the cuDNN {@code lib} (see {@link CudnnLibrary}), issuing its work on
     * {@code stream}; the CUDA context must be current on this thread.
     */
    static Cudnn open(LibraryLocator.Found lib, long stream) {
        return new Cudnn(lib, stream);
    }

    /** e.g. "cuDNN 91900 (/…/nvidia/cudnn/lib/libcudnn.so.9 in …)". */
    String describe(String how) {
        return "cuDNN " + version + " (" + library + " " + how + ")";
    }

    long version() {
        return version;
    }

    // ---- descriptors: each returns its address; freed with the matching destroy ----

    /** An NCHW float tensor descriptor. */
    MemorySegment tensor(int n, int c, int h, int w) {
        MemorySegment d = create("cudnnCreateTensorDescriptor", createTensor);
        check("cudnnSetTensor4dDescriptor", (int) invoke("cudnnSetTensor4dDescriptor", setTensor4d, d, TENSOR_NCHW,
                DATA_FLOAT, n, c, h, w));
        return d;
    }

    /** A [k, c, h, w] float filter descriptor (note the order of data type and format here). */
    MemorySegment filter(int k, int c, int h, int w) {
        MemorySegment d = create("cudnnCreateFilterDescriptor", createFilter);
        check("cudnnSetFilter4dDescriptor", (int) invoke("cudnnSetFilter4dDescriptor", setFilter4d, d, DATA_FLOAT,
                TENSOR_NCHW, k, c, h, w));
        return d;
    }

    /** A cross-correlation with equal padding and stride, no dilation, float accumulation. */
    MemorySegment convolution(int padding, int stride, int mathType) {
        MemorySegment d = create("cudnnCreateConvolutionDescriptor", createConvolution);
        check("cudnnSetConvolution2dDescriptor", (int) invoke("cudnnSetConvolution2dDescriptor", setConvolution2d, d,
                padding, padding, stride, stride, 1, 1, CROSS_CORRELATION, DATA_FLOAT));
        mathType(d, mathType);
        return d;
    }

    void mathType(MemorySegment convolution, int mathType) {
        check("cudnnSetConvolutionMathType", (int) invoke("cudnnSetConvolutionMathType", setMathType, convolution,
                mathType));
    }

    void destroyTensor(MemorySegment d) {
        quietly("cudnnDestroyTensorDescriptor", destroyTensor, d);
    }

    void destroyFilter(MemorySegment d) {
        quietly("cudnnDestroyFilterDescriptor", destroyFilter, d);
    }

    void destroyConvolution(MemorySegment d) {
        quietly("cudnnDestroyConvolutionDescriptor", destroyConvolution, d);
    }

    // ---- the algorithm search: runs every algorithm on the given buffers, fastest first ----

    /** The three passes, as their search and run functions order their operands. */
    enum Pass { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    /**
     * cudnnFind…AlgorithmEx for {@code pass}. Operands in the order the pass's functions take them:
     * forward (xDesc, x, wDesc, w, conv, yDesc, y), backward data (wDesc, w, dyDesc, dy, conv,
     * dxDesc, dx), backward filter (xDesc, x, dyDesc, dy, conv, dwDesc, dw). The last buffer is
     * written with garbage: pass scratch there.
     */
    List<ConvAlgorithms.Result> find(Pass pass, MemorySegment aDesc, long a, MemorySegment bDesc, long b,
                                     MemorySegment conv, MemorySegment outDesc, long out, long workspace,
                                     long workspaceBytes) {
        final int requested = 16; // more than any pass has algorithms (8, 6, 7)
        try (Arena call = Arena.ofConfined()) {
            MemorySegment returned = call.allocate(I);
            MemorySegment results = call.allocate(ConvAlgorithms.PERF, requested);
            MethodHandle function = switch (pass) {
                case FORWARD -> findForward;
                case BACKWARD_DATA -> findBackwardData;
                case BACKWARD_FILTER -> findBackwardFilter;
            };
            String name = "cudnnFind" + passName(pass) + "AlgorithmEx";
            check(name, (int) invoke(name, function, handle, aDesc, MemorySegment.ofAddress(a), bDesc,
                    MemorySegment.ofAddress(b), conv, outDesc, MemorySegment.ofAddress(out), requested, returned,
                    results, MemorySegment.ofAddress(workspace), workspaceBytes));
            return ConvAlgorithms.read(results, returned.get(I, 0));
        }
    }

    /**
     * out = conv-pass(a, b) + (accumulate ? out : 0), operands as for {@link #find}. The hot path:
     * invokeExact, no boxing.
     */
    void run(Pass pass, MemorySegment aDesc, long a, MemorySegment bDesc, long b, MemorySegment conv, int algo,
             long workspace, long workspaceBytes, boolean accumulate, MemorySegment outDesc, long out) {
        MethodHandle function = switch (pass) {
            case FORWARD -> forward;
            case BACKWARD_DATA -> backwardData;
            case BACKWARD_FILTER -> backwardFilter;
        };
        int status;
        try {
            status = (int) function.invokeExact(handle, one, aDesc, MemorySegment.ofAddress(a), bDesc,
                    MemorySegment.ofAddress(b), conv, algo, MemorySegment.ofAddress(workspace), workspaceBytes,
                    accumulate ? one : zero, outDesc, MemorySegment.ofAddress(out));
        } catch (Throwable t) {
            throw new IllegalStateException("cudnnConvolution" + passName(pass) + " call failed: " + t, t);
        }
        check("cudnnConvolution" + passName(pass), status);
    }

    private static String passName(Pass pass) {
        return switch (pass) {
            case FORWARD -> "Forward";
            case BACKWARD_DATA -> "BackwardData";
            case BACKWARD_FILTER -> "BackwardFilter";
        };
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            int status = (int) invoke("cudnnDestroy", destroy, handle);
            arena.close();
            if (status != 0) {
                System.err.println("ember: cudnnDestroy returned " + status + " (ignored at close)");
            }
        }
    }

    private MemorySegment create(String name, MethodHandle function) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment slot = call.allocate(P);
            check(name, (int) invoke(name, function, slot));
            return slot.get(P, 0);
        }
    }

    private void quietly(String name, MethodHandle function, MemorySegment d) {
        int status = (int) invoke(name, function, d);
        if (status != 0) {
            System.err.println("ember: " + name + " returned " + status + " (ignored)");
        }
    }

    /** Throws naming the function, cuDNN's name for the status and its last error message. */
    private void check(String function, int status) {
        if (status != 0) {
            throw new IllegalStateException(function + " failed: " + statusName(status) + lastError() + " (" + library
                    + ")");
        }
    }

    private String statusName(int status) {
        try {
            MemorySegment name = (MemorySegment) getErrorString.invokeExact(status);
            return name.reinterpret(256).getString(0) + " (" + status + ")";
        } catch (Throwable t) {
            return "status " + status;
        }
    }

    private String lastError() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment message = call.allocate(1024);
            getLastErrorString.invokeExact(message, 1024L);
            String text = message.getString(0);
            return text.isBlank() ? "" : ": " + text.strip();
        } catch (Throwable t) {
            return "";
        }
    }

    private static MethodHandle bind(LibraryLocator.Found lib, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lib.symbols().find(name).orElseThrow(() -> new LibraryLocator.LibraryNotFoundException(
                "cuDNN: " + lib.file() + " has no symbol " + name + "; is it really cuDNN 9?"));
        return Linker.nativeLinker().downcallHandle(symbol, descriptor);
    }

    private static Object invoke(String name, MethodHandle function, Object... args) {
        try {
            return function.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " call failed: " + t, t);
        }
    }
}
