package ember.testing;

import ember.io.PythonTorch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Real PyTorch for the tests ({@link PythonTorch}): tests that need it are skipped with the
 * reason where no interpreter here imports torch.
 */
public final class TorchPython {
    private TorchPython() {}

    /** Skips the calling test, saying why, when no interpreter here imports torch. */
    public static void assumePresent() {
        Assumptions.assumeTrue(PythonTorch.interpreter().isPresent(), PythonTorch::absence);
    }

    /**
     * Runs a script from the test resources (src/test/resources/torch/NAME) with these
     * arguments; returns its standard output, or fails with what it printed.
     */
    public static String run(String script, String... args) throws IOException, InterruptedException {
        return runFile(Path.of("src/test/resources/torch", script).toAbsolutePath(), args);
    }

    /** Runs a Python file with these arguments; returns its standard output, or fails with what it printed. */
    public static String runFile(Path script, String... args) throws IOException, InterruptedException {
        assumePresent();
        try {
            return PythonTorch.run(script, List.of(args), 600);
        } catch (IOException failed) {
            throw new AssertionError(failed.getMessage(), failed);
        }
    }
}
