package ember.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine a benchmark ran on, in one line: CPU model, cores, OS. */
final class Machine {
    private Machine() {}

    static String describe() {
        String model = "unknown CPU";
        try {
            model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(line -> line.startsWith("model name")).findFirst()
                    .map(line -> line.substring(line.indexOf(':') + 1).trim()).orElse(model);
        } catch (IOException | RuntimeException e) {
            // Not Linux: the model stays unknown; the cores and OS still say something.
        }
        return model + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name")
                + " " + System.getProperty("os.arch") + ", Java " + Runtime.version();
    }
}
