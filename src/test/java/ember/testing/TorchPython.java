package ember.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Real PyTorch, run as a Python program: the first interpreter on this machine that imports
 * torch (Debian's python3-torch installs into /usr/bin/python3, which an interpreter first on
 * PATH may not be). Tests that need it are skipped with the reason where none does.
 */
public final class TorchPython {
    private static final List<String> CANDIDATES = List.of("python3", "/usr/bin/python3");
    private static String found;
    private static String absence;

    private TorchPython() {}

    /** Skips the calling test, saying why, when no interpreter here imports torch. */
    public static void assumePresent() {
        Assumptions.assumeTrue(interpreter() != null, () -> absence);
    }

    private static synchronized String interpreter() {
        if (found == null && absence == null) {
            List<String> tried = new ArrayList<>();
            for (String candidate : CANDIDATES) {
                try {
                    Process p = new ProcessBuilder(candidate, "-c", "import torch, numpy").redirectErrorStream(true).start();
                    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                    if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
                        found = candidate;
                        return found;
                    }
                    tried.add(candidate + ": " + said.lines().reduce((a, b) -> b).orElse("exit " + p.exitValue()));
                } catch (IOException e) {
                    tried.add(candidate + ": " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    tried.add(candidate + ": interrupted");
                }
            }
            absence = "no Python here imports torch and numpy (install python3-torch; tried " + String.join("; ", tried) + ")";
        }
        return found;
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
        List<String> command = new ArrayList<>(List.of(interpreter(), script.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(script.getFileName() + " " + String.join(" ", args) + " failed:\n" + output);
        }
        return output;
    }
}
