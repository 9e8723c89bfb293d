package ember.backend;

import ember.backend.cpu.CpuBackend;
import ember.backend.cuda.CudaBackend;
import ember.backend.cuda.CudaProbe;
import ember.backend.cuda.CudaUnavailableException;
import ember.backend.reference.ReferenceBackend;

/** Turns a --device value into a backend, with the reason it was chosen. */
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

    public static final String DEVICES = "auto, cuda, cpu, reference";

    public static Choice open(String device) {
        int threads = Runtime.getRuntime().availableProcessors();
        return switch (device) {
            case "cpu" -> new Choice(CpuBackend.withBlasIfPresent(threads), "asked for with --device cpu");
            case "reference" -> new Choice(new ReferenceBackend(), "asked for with --device reference");
            case "cuda" -> new Choice(openCuda(), "asked for with --device cuda");
            case "auto" -> auto(threads);
            default -> throw new IllegalArgumentException("unknown --device '" + device + "'; choose one of " + DEVICES);
        };
    }

    /** CUDA when the probe finds driver, device and cuBLAS; otherwise the CPU, saying what CUDA lacks. */
    private static Choice auto(int threads) {
        CudaProbe.Report cuda = CudaProbe.check();
        if (cuda.usable()) {
            // The probe found everything, so a failure to open is a real error, not a reason to fall back.
            return new Choice(CudaBackend.open(), "auto: CUDA is usable (" + cuda.devices() + " device(s))");
        }
        return new Choice(CpuBackend.withBlasIfPresent(threads), autoCpuReason(cuda));
    }

    /** Why auto runs on the CPU: every missing CUDA piece, with the file names and what to set. */
    static String autoCpuReason(CudaProbe.Report cuda) {
        return "auto: CUDA not used: " + cuda.reason();
    }

    private static CudaBackend openCuda() {
        try {
            return CudaBackend.open();
        } catch (CudaUnavailableException e) {
            // The user asked for CUDA: a one-line error naming what is missing, not a stack trace.
            throw new IllegalArgumentException("--device cuda: " + e.getMessage(), e);
        }
    }
}
