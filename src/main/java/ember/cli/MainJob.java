package ember.cli;

import ember.data.Cifar10;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** What a newcomer's first command runs: exp2 when data/ holds CIFAR-10, else exp1, saying why. */
@Command(name = "main", description = "The main job with default settings: exp2 (ResNet20 on CIFAR-10) when "
        + "data/ holds CIFAR-10, otherwise exp1 (function fitting).")
final class MainJob implements Callable<Integer> {
    @CommandLine.Option(names = "--data", paramLabel = "PATH", description = "Where to look for CIFAR-10. "
            + "Default: ${DEFAULT-VALUE}")
    Path data = Path.of("data");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        var out = spec.commandLine().getOut();
        Cifar10.Source source;
        try {
            source = Cifar10.resolve(data);
        } catch (IOException notCifar) {
            if (!holdsData(data)) {
                out.println("ember: no CIFAR-10 in " + data.toAbsolutePath() + " (see data/README.md to get it), "
                        + "so running exp1, the lab's function fitting, with defaults");
                Path folder = freshFolder(Path.of("runs", "exp1"), out);
                out.flush();
                return spec.root().subcommands().get("exp1").execute("--out", folder.toString());
            }
            // Something is there: running exp1 instead would hide that it cannot be read.
            throw new IOException("found data that is not CIFAR-10 as ember reads it, so not running exp2: "
                    + notCifar.getMessage(), notCifar);
        }
        out.println("ember: found CIFAR-10 (" + source + "): running exp2, the lab's ResNet20 training, with defaults");
        Path folder = freshFolder(Path.of("runs", "exp2"), out);
        out.flush();
        return spec.root().subcommands().get("exp2").execute("--data", source.path().toString(), "--out",
                folder.toString());
    }

    /**
     * The main job never overwrites an earlier run: {@code preferred} when it is empty or absent,
     * else the first of preferred-2, preferred-3, ... that is, said in one line.
     */
    static Path freshFolder(Path preferred, java.io.PrintWriter out) throws IOException {
        Path folder = preferred;
        for (int n = 2; !isEmptyOrAbsent(folder); n++) {
            folder = preferred.resolveSibling(preferred.getFileName() + "-" + n);
        }
        if (!folder.equals(preferred)) {
            out.println("ember: " + preferred + " holds an earlier run, kept; this one goes to " + folder);
        }
        return folder;
    }

    private static boolean isEmptyOrAbsent(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return true;
        }
        if (!Files.isDirectory(folder)) {
            return false;
        }
        try (var entries = Files.list(folder)) {
            return entries.findAny().isEmpty();
        }
    }

    /** Whether {@code dir} holds anything besides notes (hidden files, *.md, *.txt): an attempt at a dataset. */
    private static boolean holdsData(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Files.exists(dir);
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString().toLowerCase(Locale.ROOT))
                    .anyMatch(n -> !n.startsWith(".") && !n.endsWith(".md") && !n.endsWith(".txt"));
        }
    }
}
