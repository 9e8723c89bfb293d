package ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

/** Launches our kernels on the backend's one stream; kernel arguments are packed here. */
final class Launcher {
    /** Threads per block for one-dimensional kernels. */
    static final int THREADS = 256;
    /** Grid-stride kernels cover any length, so the grid is capped well below the limits. */
    private static final int MAX_BLOCKS = 4096;

    private final CUmodule module;
    private final CUstream stream;

    Launcher(CUmodule module, CUstream stream) {
        this.module = module;
        this.stream = stream;
    }

    CUfunction function(String name) {
        CUfunction function = new CUfunction();
        cuModuleGetFunction(function, module, name);
        return function;
    }

    /** Blocks of {@link #THREADS} covering n elements (at least one). */
    static int blocksFor(long n) {
        return (int) Math.max(1, Math.min(MAX_BLOCKS, (n + THREADS - 1) / THREADS));
    }

    /** One-dimensional launch over n elements; nothing is launched for n = 0. */
    void launch1d(CUfunction function, long n, Object... args) {
        if (n > 0) {
            launch(function, blocksFor(n), 1, THREADS, 1, args);
        }
    }

    /**
     * Arguments: a {@link CudaBuffer} (passed as its device address), null (a null pointer),
     * Integer or Float, matching the kernel's parameter list in order.
     */
    void launch(CUfunction function, int gridX, int gridY, int blockX, int blockY, Object... args) {
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case null -> Pointer.to(new long[] {0});
                case CudaBuffer b -> Pointer.to(new long[] {b.address()});
                case Long address -> Pointer.to(new long[] {address});
                case Integer v -> Pointer.to(new int[] {v});
                case Float v -> Pointer.to(new float[] {v});
                default -> throw new IllegalArgumentException("kernel argument of type " + args[i].getClass());
            };
        }
        cuLaunchKernel(function, gridX, gridY, 1, blockX, blockY, 1, 0, stream, Pointer.to(params), null);
    }
}
