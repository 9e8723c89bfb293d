package ember.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * cuBLAS through java.lang.foreign: one handle bound to our stream, row-major SGEMM.
 * Only the _v2 entry points are bound; the unsuffixed names are the legacy API with
 * different semantics. Pointer mode stays "host", so alpha and beta are read at call time.
 * The handle works in a fixed workspace the backend allocates once, so a GEMM never allocates
 * (which a captured step cannot do).
 */
final class Cublas implements AutoCloseable {
    static final String CREATE = "cublasCreate_v2";
    static final String DESTROY = "cublasDestroy_v2";
    static final String SET_STREAM = "cublasSetStream_v2";
    static final String SET_MATH_MODE = "cublasSetMathMode";
    static final String SGEMM = "cublasSgemm_v2";
    static final String GET_VERSION = "cublasGetVersion_v2";
    static final String SET_WORKSPACE = "cublasSetWorkspace_v2";
    /** cuBLAS's own advice for Hopper (the most any of our targets wants); 4 MiB would do for Ampere. */
    static final long WORKSPACE_BYTES = 32L << 20;

    private static final int OP_N = 0, OP_T = 1;
    /** CUBLAS_DEFAULT_MATH: full fp32, no TF32, so results match the CPU within fp32 tolerances. */
    private static final int DEFAULT_MATH = 0;

    private final String library;
    private final MethodHandle sgemm;
    private final MethodHandle destroy;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment handle;
    private final MemorySegment alpha;
    private final MemorySegment beta;
    private final int version;
    private boolean closed;

    private Cublas(LibraryLocator.Found lib, long stream, long workspace) {
        this.library = lib.file();
        var i = ValueLayout.JAVA_INT;
        var p = ValueLayout.ADDRESS;
        MethodHandle create = bind(lib, CREATE, FunctionDescriptor.of(i, p));
        MethodHandle setStream = bind(lib, SET_STREAM, FunctionDescriptor.of(i, p, p));
        MethodHandle setMathMode = bind(lib, SET_MATH_MODE, FunctionDescriptor.of(i, p, i));
        MethodHandle getVersion = bind(lib, GET_VERSION, FunctionDescriptor.of(i, p, p));
        MethodHandle setWorkspace = bind(lib, SET_WORKSPACE, FunctionDescriptor.of(i, p, p, ValueLayout.JAVA_LONG));
        this.sgemm = bind(lib, SGEMM, FunctionDescriptor.of(i, p, i, i, i, i, i, p, p, i, p, i, p, p, i));
        this.destroy = bind(lib, DESTROY, FunctionDescriptor.of(i, p));
        this.alpha = arena.allocate(ValueLayout.JAVA_FLOAT);
        this.beta = arena.allocate(ValueLayout.JAVA_FLOAT);
        MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
        check(CREATE, call(create, slot));
        this.handle = slot.get(ValueLayout.ADDRESS, 0);
        check(SET_STREAM, call(setStream, handle, MemorySegment.ofAddress(stream)));
        // After the stream: setting a stream resets the workspace to cuBLAS's own pool.
        check(SET_WORKSPACE, call(setWorkspace, handle, MemorySegment.ofAddress(workspace), WORKSPACE_BYTES));
        check(SET_MATH_MODE, call(setMathMode, handle, DEFAULT_MATH));
        MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
        check(GET_VERSION, call(getVersion, handle, v));
        this.version = v.get(ValueLayout.JAVA_INT, 0);
    }

    /**
     * A handle from the library {@code lib}, issuing its work on {@code stream} (a CUstream
     * address) in {@code workspace}, a device allocation of {@link #WORKSPACE_BYTES} that
     * outlives the handle.
     */
    static Cublas open(LibraryLocator.Found lib, long stream, long workspace) {
        return new Cublas(lib, stream, workspace);
    }

    /** e.g. "cuBLAS 130100 (libcublas.so.13 by the loader's search path)". */
    String describe(String how) {
        return "cuBLAS " + version + " (" + library + " " + how + ")";
    }

    /**
     * Row-major C[m×n] = alpha·op(A)·op(B) + beta·C on device addresses. cuBLAS is column-major,
     * and a row-major matrix is its transpose in column-major, so we compute
     * Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands and m with n, keep the transpose flags.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alphaValue, long a, long b,
               float betaValue, long c) {
        int lda = Math.max(1, transA ? m : k);
        int ldb = Math.max(1, transB ? k : n);
        alpha.set(ValueLayout.JAVA_FLOAT, 0, alphaValue);
        beta.set(ValueLayout.JAVA_FLOAT, 0, betaValue);
        int status;
        try {
            // invokeExact: the hot path, with no boxing or argument spreading.
            status = (int) sgemm.invokeExact(handle, transB ? OP_T : OP_N, transA ? OP_T : OP_N, n, m, k,
                    alpha, MemorySegment.ofAddress(b), ldb, MemorySegment.ofAddress(a), lda,
                    beta, MemorySegment.ofAddress(c), Math.max(1, n));
        } catch (Throwable t) {
            throw new IllegalStateException(SGEMM + " call failed: " + t, t);
        }
        check(SGEMM, status);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            int status = call(destroy, handle);
            arena.close();
            if (status != 0) {
                System.err.println("ember: " + DESTROY + " returned " + statusName(status) + " (ignored at close)");
            }
        }
    }

    private static MethodHandle bind(LibraryLocator.Found lib, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lib.symbols().find(name).orElseThrow(() -> new LibraryLocator.LibraryNotFoundException(
                "cuBLAS: " + lib.file() + " has no symbol " + name + "; is it really libcublas 12 or 13?"));
        return Linker.nativeLinker().downcallHandle(symbol, descriptor);
    }

    private static int call(MethodHandle function, Object... args) {
        try {
            return (int) function.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new IllegalStateException("cuBLAS call failed: " + t, t);
        }
    }

    private void check(String function, int status) {
        if (status != 0) {
            throw new IllegalStateException(function + " failed: " + statusName(status) + " (" + library + ")");
        }
    }

    static String statusName(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cuBLAS status " + status;
        };
    }
}
