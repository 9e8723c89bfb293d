package ember.backend;

import ember.backend.cpu.CpuBackend;
import ember.backend.reference.ReferenceBackend;

/** Turns a --device value into a backend, with the reason it was chosen. */
public final class Backends {
    private Backends() {}

    /** The opened backend and why it runs; print {@link #summary()} once. */
    public record Choice(Backend backend, String reason) implements AutoCloseable {
        public String summary() {
            return "backend: " + backend.description() + " [" + reason + "]";
        }

        @Override
        public void close() {
            backend.close();
        }
    }

    public static final String DEVICES = "auto, cpu, reference";

    public static Choice open(String device) {
        int threads = Runtime.getRuntime().availableProcessors();
        return switch (device) {
            case "cpu" -> new Choice(CpuBackend.withBlasIfPresent(threads), "asked for with --device cpu");
            case "reference" -> new Choice(new ReferenceBackend(), "asked for with --device reference");
            case "auto" -> new Choice(CpuBackend.withBlasIfPresent(threads),
                    "auto: this build has no GPU backend yet, so the CPU runs");
            default -> throw new IllegalArgumentException("unknown --device '" + device + "'; choose one of " + DEVICES);
        };
    }
}
