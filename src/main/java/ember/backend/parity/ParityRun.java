package ember.backend.parity;

import ember.backend.Backend;
import ember.backend.reference.ReferenceBackend;
import java.io.PrintWriter;
import java.util.List;

/** Runs every {@link ParityCases} case on a backend against the reference and prints one line each. */
public final class ParityRun {
    private ParityRun() {}

    /** The number of failing cases (0 when all pass). A case that throws counts as failing. */
    public static int run(Backend candidate, long seed, PrintWriter out) {
        List<ParityCase> cases = ParityCases.all(seed);
        int failed = 0;
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
                } catch (RuntimeException e) {
                    failed++;
                    line = "FAIL threw " + e;
                }
                out.printf("%-60s %s%n", c.name(), line);
                out.flush();
            }
        }
        out.printf("selftest: %d of %d cases passed on %s (seed %d)%n", cases.size() - failed, cases.size(),
                candidate.name(), seed);
        return failed;
    }
}
