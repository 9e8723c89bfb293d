package ember.backend.parity;

import ember.backend.Backend;
import ember.backend.reference.ReferenceBackend;
import java.io.PrintWriter;
import java.util.List;

/** Runs every {@link ParityCases} case on a backend against the reference and prints one line each. */
public final class ParityRun {
    private ParityRun() {}

    /**
     * The number of failing cases (0 when all pass). A case that throws counts as failing,
     * except an op the backend does not implement yet, which is reported as skipped.
     */
    public static int run(Backend candidate, long seed, PrintWriter out) {
        List<ParityCase> cases = ParityCases.all(seed);
        int failed = 0, skipped = 0;
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
                    skipped++;
                    line = "SKIP " + e.getMessage();
                } catch (RuntimeException e) {
                    failed++;
                    line = "FAIL threw " + e;
                }
                out.printf("%-60s %s%n", c.name(), line);
                out.flush();
            }
        }
        out.printf("selftest: %d of %d cases passed on %s, %d failed, %d skipped as not implemented (seed %d)%n",
                cases.size() - failed - skipped, cases.size(), candidate.name(), failed, skipped, seed);
        return failed;
    }
}
