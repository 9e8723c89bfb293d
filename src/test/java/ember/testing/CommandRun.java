package ember.testing;

import ember.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One run of the real command line, in this JVM or a fresh one: its exit status and what it printed. */
public record CommandRun(int exit, String out, String err) {

    public static CommandRun ember(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CommandRun(exit, out.toString(), err.toString());
    }

    /**
     * The command in a JVM of its own (this one's runtime and class path), where nothing is
     * compiled yet: what a user's second invocation meets, e.g. when resuming a run.
     */
    public static CommandRun emberInFreshJvm(Path scratch, String... args) throws IOException, InterruptedException {
        int exit = startInFreshJvm(scratch, args).waitFor();
        return new CommandRun(exit, Files.readString(scratch.resolve("stdout.txt"), StandardCharsets.UTF_8),
                Files.readString(scratch.resolve("stderr.txt"), StandardCharsets.UTF_8));
    }

    /** The command started in a JVM of its own, its output going to scratch/std{out,err}.txt: e.g. to kill it. */
    public static Process startInFreshJvm(Path scratch, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Files.createDirectories(scratch);
        return new ProcessBuilder(command).redirectOutput(scratch.resolve("stdout.txt").toFile())
                .redirectError(scratch.resolve("stderr.txt").toFile()).start();
    }
}
