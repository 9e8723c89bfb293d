package ember.backend;

import ember.backend.cpu.CpuBackend;
import ember.backend.cuda.CudaBackend;
import ember.backend.cuda.CudaProbe;
import ember.backend.cuda.CudnnFiles;
import ember.backend.opencl.OpenClBackend;
import ember.backend.opencl.OpenClDevices;
import ember.backend.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Every native piece the engine can use, found or not, and one tiny op on each backend that is
 * present: what `ember doctor` prints, and what the GPU check runs first.
 */
public final class Doctor {
    private Doctor() {}

    /** A native piece (or a backend's tiny op) and what was found. */
    public record Finding(String what, boolean ok, List<String> details) {}

    /** The NVIDIA driver and GPUs, cuBLAS, cuDNN, OpenCL, BLAS. */
    public static List<Finding> natives() {
        List<Finding> found = new ArrayList<>();
        CudaProbe.Report cuda = CudaProbe.check();
        List<String> driverProblems = cuda.problems().stream().filter(p -> !p.startsWith("cuBLAS")).toList();
        List<String> cublasProblems = cuda.problems().stream().filter(p -> p.startsWith("cuBLAS")).toList();
        found.add(new Finding("NVIDIA driver (libcuda) and GPUs", driverProblems.isEmpty(), driverProblems.isEmpty()
                ? List.of(cuda.libcudaWhere(), cuda.devices() + " device(s)") : driverProblems));
        found.add(new Finding("cuBLAS", cuda.cublasWhere() != null,
                cuda.cublasWhere() == null ? cublasProblems : List.of(cuda.cublasWhere())));
        List<String> cudnn = CudnnFiles.report();
        found.add(new Finding("cuDNN 9 (the CUDA backend's convolutions)", cudnn.getFirst().startsWith("libcudnn.so.9:")
                && cudnn.stream().noneMatch(l -> l.contains("MISSING")), cudnn));
        OpenClDevices.Listing opencl = OpenClDevices.list();
        found.add(new Finding("OpenCL platforms and devices", opencl.any(), opencl.any()
                ? opencl.devices().stream().map(d -> "opencl:" + d.index() + " " + d.describe()).toList()
                : List.of(opencl.reason())));
        try (CpuBackend cpu = CpuBackend.withBlasIfPresent(1)) {
            found.add(new Finding("BLAS (the CPU backend's GEMM)", cpu.usesBlas(), List.of(cpu.description())));
        }
        return found;
    }

    /** The backends this machine has: every one --device can name, with how to open it. */
    public static List<String> devices() {
        List<String> devices = new ArrayList<>(List.of("reference", "cpu", "cuda"));
        for (OpenClDevices.Device d : OpenClDevices.list().devices()) {
            devices.add("opencl:" + d.index());
        }
        if (!OpenClDevices.list().any()) {
            devices.add("opencl");
        }
        return devices;
    }

    /** y = relu(x) on five values on the backend --device names: whether it opens and computes right. */
    public static Finding tinyOp(String device) {
        Supplier<Backend> open = () -> switch (device) {
            case "reference" -> new ReferenceBackend();
            case "cpu" -> CpuBackend.withBlasIfPresent(Runtime.getRuntime().availableProcessors());
            case "cuda" -> CudaBackend.open(Precision.FP32);
            default -> OpenClBackend.open(device);
        };
        long start = System.nanoTime();
        try (Backend b = open.get(); Buffer x = b.allocate(5); Buffer y = b.allocate(5)) {
            b.write(x, new float[] {-2, -1, 0, 1, 2});
            b.relu(x, y);
            float[] got = new float[5];
            b.read(y, got);
            boolean right = java.util.Arrays.equals(got, new float[] {0, 0, 0, 1, 2});
            String lacking = b.lacks().isEmpty() ? "all 25 primitives" : "lacks " + Primitive.names(b.lacks());
            return new Finding(device, right, List.of(b.description(), (right ? "relu on 5 values right" :
                    "relu on 5 values WRONG: " + java.util.Arrays.toString(got)) + String.format(Locale.ROOT,
                    " in %.0f ms (opening included); %s", (System.nanoTime() - start) / 1e6, lacking)));
        } catch (RuntimeException | LinkageError e) {
            return new Finding(device, false, List.of(e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }
}
