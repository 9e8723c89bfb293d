package ember.backend.parity;

import ember.backend.Backend;
import ember.backend.Precision;
import ember.backend.Primitive;
import ember.backend.reference.ReferenceBackend;
import java.io.PrintWriter;
import java.util.List;

/** Runs every {@link ParityCases} case on a backend against the reference and prints one line each. */
public final class ParityRun {
    private ParityRun() {}

    /**
     * The number of failing cases (0 when all pass). A case that throws counts as failing, an op
     * the backend does not implement yet ({@link Backend#lacks()}) too: a half-written backend
     * never looks complete. Convolution cases take the tolerance of {@code precision} (TF32 is wider).
     */
    public static int run(Backend candidate, Precision precision, long seed, PrintWriter out) {
        List<ParityCase> cases = ParityCases.all(seed).stream().map(c -> c.under(precision)).toList();
        int failed = 0, lacking = 0;
        try (ReferenceBackend reference = new ReferenceBackend()) {
            for (ParityCase c : cases) {
                String line;
                try {
                    Comparison result = c.check(candidate, reference);
                    line = result.summary();
                    if (!result.ok()) {
                        failed++;
                        line = "FAIL " + line;
                    }
                } catch (UnsupportedOperationException e) {
                    failed++;
                    lacking++;
                    line = "FAIL lacks: " + e.getMessage();
                } catch (RuntimeException e) {
                    failed++;
                    line = "FAIL threw " + e;
                }
                out.printf("%-60s %s%n", c.name(), line);
                out.flush();
            }
        }
        int total = cases.size();
        // The network case compares against float64 at float32 tolerances: fp32 convolutions only.
        if (precision == Precision.FP32) {
            total++;
            String line;
            try {
                Comparison result = TrainingParity.threeSteps(candidate);
                line = result.summary();
                if (!result.ok()) {
                    failed++;
                    line = "FAIL " + line;
                }
            } catch (RuntimeException e) {
                failed++;
                line = "FAIL threw " + e;
            }
            out.printf("%-60s %s%n", "network: 3 ResNet training steps, loss and weights", line);
        }
        out.printf("selftest: %d of %d cases passed on %s, %d failed (%d of them on primitives it lacks: %s) (seed %d)%n",
                total - failed, total, candidate.name(), failed, lacking,
                candidate.lacks().isEmpty() ? "none" : Primitive.names(candidate.lacks()), seed);
        return failed;
    }
}
