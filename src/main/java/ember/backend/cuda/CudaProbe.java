package ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuInit;

import java.util.ArrayList;
import java.util.List;
import jcuda.CudaException;
import jcuda.driver.JCudaDriver;

/**
 * Whether this machine can run the CUDA backend, and if not, exactly why: the driver library,
 * a device, cuBLAS. Every missing piece is named, with the file names tried and the variable
 * to set, so `--device auto` can say why it did not pick CUDA.
 */
public final class CudaProbe {
    private CudaProbe() {}

    /** Usable when {@code problems} is empty; then libcuda and cublas are loaded. */
    public record Report(List<String> problems, LibraryLocator.Found libcuda, LibraryLocator.Found cublas,
                         int devices) {
        public boolean usable() {
            return problems.isEmpty();
        }

        /** "file (how it was found)" for the driver library, or null when it was not found. */
        public String libcudaWhere() {
            return libcuda == null ? null : libcuda.file() + " (" + libcuda.how() + ")";
        }

        /** "file (how it was found)" for cuBLAS, or null when it was not found. */
        public String cublasWhere() {
            return cublas == null ? null : cublas.file() + " (" + cublas.how() + ")";
        }

        /** The problems in one line, or "usable". */
        public String reason() {
            return usable() ? "usable" : String.join("; ", problems);
        }
    }

    private static Report cached;

    /** Probes once per JVM: the answer cannot change while it runs (libraries stay loaded). */
    public static synchronized Report check() {
        if (cached == null) {
            cached = probe();
        }
        return cached;
    }

    private static Report probe() {
        List<String> problems = new ArrayList<>();
        LibraryLocator.Found libcuda = null, cublas = null;
        int devices = 0;
        try {
            libcuda = CudaLibraries.libcuda().find();
        } catch (LibraryLocator.LibraryNotFoundException e) {
            problems.add(e.getMessage() + " (it comes with the NVIDIA driver; is this a GPU machine?)");
        }
        if (libcuda != null) {
            try {
                // Once per JVM: every driver error becomes a CudaException naming the CUresult.
                JCudaDriver.setExceptionsEnabled(true);
                cuInit(0);
                int[] count = new int[1];
                cuDeviceGetCount(count);
                devices = count[0];
                if (devices == 0) {
                    problems.add("the CUDA driver (" + libcuda.file() + ") sees no device");
                }
            } catch (CudaException e) {
                problems.add("the CUDA driver (" + libcuda.file() + ") failed to start: " + e.getMessage());
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                problems.add("JCuda's native library did not load (" + e.getMessage()
                        + "); is this linux-x86_64 with the jcuda-natives jar on the class path?");
            }
        }
        try {
            cublas = CudaLibraries.cublas().find();
        } catch (LibraryLocator.LibraryNotFoundException e) {
            problems.add(e.getMessage());
        }
        return new Report(List.copyOf(problems), libcuda, cublas, devices);
    }
}
