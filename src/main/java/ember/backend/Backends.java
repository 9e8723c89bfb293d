package ember.backend;

import ember.backend.cpu.CpuBackend;
import ember.backend.cuda.CudaBackend;
import ember.backend.cuda.CudaProbe;
import ember.backend.cuda.CudaUnavailableException;
import ember.backend.opencl.OpenClBackend;
import ember.backend.opencl.OpenClDevices;
import ember.backend.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Turns a --device value into a backend that can run the whole job, with the reason it was chosen. */
public final class Backends {
    private Backends() {}

    /** The opened backend and why it runs; print {@link #summary()} once. */
    public record Choice(Backend backend, String reason) implements AutoCloseable {
        /** Two lines: what runs, then why. */
        public String summary() {
            return "backend: " + backend.description() + System.lineSeparator() + "  why: " + reason;
        }

        @Override
        public void close() {
            backend.close();
        }
    }

    public static final String DEVICES = "auto, cuda, opencl, opencl:N, cpu, reference";

    /**
     * The backend --device names, refused (IllegalArgumentException, one line) when it cannot run
     * all of the job; with "auto", the fastest present one that can ({@link Job#fastestFirst}).
     */
    public static Choice open(String device, Job job) {
        // Checks compare against the float64 reference at float32 tolerances: no TF32 there.
        return open(device, job, job == Job.CHECK ? Precision.FP32 : Precision.TF32);
    }

    /** As {@link #open(String, Job)}, with GPU convolutions in {@code precision}. */
    public static Choice open(String device, Job job, Precision precision) {
        int threads = Runtime.getRuntime().availableProcessors();
        return switch (device) {
            case "cpu" -> new Choice(CpuBackend.withBlasIfPresent(threads), "asked for with --device cpu");
            case "reference" -> new Choice(new ReferenceBackend(), "asked for with --device reference");
            case "cuda" -> new Choice(whole(openCuda(precision), job), "asked for with --device cuda");
            case "auto" -> auto(threads, job, precision);
            default -> {
                if (device.equals("opencl") || device.startsWith("opencl:")) {
                    yield new Choice(whole(OpenClBackend.open(device), job), "asked for with --device " + device);
                }
                throw new IllegalArgumentException("unknown --device '" + device + "'; choose one of " + DEVICES);
            }
        };
    }

    /** Tries the job's backends fastest first; says why each one before the chosen was passed over. */
    private static Choice auto(int threads, Job job, Precision precision) {
        List<String> passedOver = new ArrayList<>();
        for (String name : job.fastestFirst()) {
            switch (name) {
                case "cuda" -> {
                    CudaProbe.Report cuda = CudaProbe.check();
                    if (!cuda.usable()) {
                        passedOver.add("CUDA not used: " + cuda.reason());
                        continue;
                    }
                    CudaBackend backend;
                    try {
                        backend = CudaBackend.open(precision);
                    } catch (RuntimeException failed) {
                        // The probe found every piece, yet the device would not open (a kernel
                        // binary without this GPU's architecture, say): said, and the next one runs.
                        passedOver.add("CUDA is usable but failed to open: " + failed);
                        continue;
                    }
                    Set<Primitive> missing = job.missingOn(backend);
                    if (missing.isEmpty()) {
                        return new Choice(backend, reason(job, passedOver, "CUDA is usable (" + cuda.devices()
                                + " device(s)) and runs all of " + job.label()));
                    }
                    backend.close();
                    passedOver.add("CUDA is usable but cannot run " + job.label() + ": it lacks "
                            + Primitive.names(missing) + " (" + backend.description() + ")");
                }
                case "opencl-gpu" -> {
                    OpenClDevices.Listing opencl = OpenClDevices.list();
                    var gpu = opencl.devices().stream().filter(OpenClDevices.Device::gpu).findFirst();
                    if (gpu.isEmpty()) {
                        passedOver.add("no OpenCL GPU: " + (opencl.any() ? "only " + opencl.table() : opencl.reason()));
                        continue;
                    }
                    return new Choice(OpenClBackend.open("opencl:" + gpu.get().index()), reason(job, passedOver,
                            "OpenCL runs all of " + job.label() + " on the GPU " + gpu.get().name()));
                }
                case "cpu" -> {
                    return new Choice(CpuBackend.withBlasIfPresent(threads), reason(job, passedOver, "the CPU runs all of "
                            + job.label()));
                }
                default -> throw new IllegalStateException("no backend named " + name);
            }
        }
        throw new IllegalStateException("no backend can run " + job.label() + ": " + String.join("; ", passedOver));
    }

    private static String reason(Job job, List<String> passedOver, String chosen) {
        String order = "auto tries " + String.join(", then ", job.fastestFirst()) + " for " + job.label() + " ("
                + job.whyThisOrder() + ")";
        return "auto: " + chosen + "; " + order + (passedOver.isEmpty() ? "" : "; " + String.join("; ", passedOver));
    }

    /** backend itself when it runs all of job, else closed and refused, naming what it lacks. */
    private static Backend whole(Backend backend, Job job) {
        Set<Primitive> missing = job.missingOn(backend);
        if (missing.isEmpty()) {
            return backend;
        }
        backend.close();
        throw new IllegalArgumentException("--device " + backend.name() + " cannot run " + job.label() + ": it lacks "
                + Primitive.names(missing) + " (" + backend.description() + "); use --device cpu or auto");
    }

    private static CudaBackend openCuda(Precision precision) {
        try {
            return CudaBackend.open(precision);
        } catch (CudaUnavailableException e) {
            // The user asked for CUDA: a one-line error naming what is missing, not a stack trace.
            throw new IllegalArgumentException("--device cuda: " + e.getMessage(), e);
        }
    }
}
