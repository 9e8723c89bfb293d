package ember.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Real PyTorch, run as a Python program: the first interpreter here that imports torch and
 * numpy (Debian's python3-torch installs into /usr/bin/python3, which an interpreter first on
 * PATH may not be), or why none does.
 */
public final class PythonTorch {
    private static final List<String> CANDIDATES = List.of("python3", "/usr/bin/python3");
    private static String found;
    private static String absence;

    private PythonTorch() {}

    /** The interpreter, or empty with {@link #absence()} saying why. */
    public static synchronized Optional<String> interpreter() {
        if (found == null && absence == null) {
            List<String> tried = new ArrayList<>();
            for (String candidate : CANDIDATES) {
                try {
                    Process p = new ProcessBuilder(candidate, "-c", "import torch, numpy").redirectErrorStream(true)
                            .start();
                    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                    if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
                        found = candidate;
                        break;
                    }
                    tried.add(candidate + ": " + said.lines().reduce((a, b) -> b).orElse("exit " + p.exitValue()));
                } catch (IOException e) {
                    tried.add(candidate + ": " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    tried.add(candidate + ": interrupted");
                }
            }
            if (found == null) {
                absence = "no Python here imports torch and numpy (install python3-torch; tried "
                        + String.join("; ", tried) + ")";
            }
        }
        return Optional.ofNullable(found);
    }

    /** Why {@link #interpreter()} is empty. */
    public static synchronized String absence() {
        interpreter();
        return absence;
    }

    /** Runs a Python file with these arguments; returns what it printed, or throws with that output. */
    public static String run(Path script, List<String> args, long timeoutSeconds) throws IOException,
            InterruptedException {
        String python = interpreter().orElseThrow(() -> new IOException(absence()));
        List<String> command = new ArrayList<>(List.of(python, script.toString()));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(script.getFileName() + " " + String.join(" ", args) + " failed:\n" + output);
        }
        return output;
    }
}
