package ember.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The ember command line. */
@Command(name = "ember", mixinStandardHelpOptions = true, version = "ember 0.1.0",
        description = "A deep-learning engine in Java: the lab's exp1 (function fitting) and exp2 (CIFAR-10).",
        subcommands = {MainJob.class, Exp1Command.class, Exp2Command.class, CompareCommand.class, DoctorCommand.class,
            SelftestCommand.class})
public final class Main {
    /** Exit status of a run whose loss turned NaN or infinite. */
    public static final int EXIT_DIVERGED = 3;
    /** Exit status of bad input: a flag, a file, a dataset. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit status of a fault in ember itself (any exception not caused by the input). */
    public static final int EXIT_INTERNAL_ERROR = 1;

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            // The CPU backend's SIMD loops need it, and a jar manifest cannot add a module.
            System.err.println("ember: start the JVM with --add-modules jdk.incubator.vector "
                    + "(src/main/sh/ember does), e.g. java --add-modules jdk.incubator.vector "
                    + "--enable-native-access=ALL-UNNAMED -jar target/ember.jar");
            System.exit(EXIT_BAD_INPUT);
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared with tests so they see exactly what users see. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (isUserError(e)) {
                commandLine.getErr().println("ember: " + message(e));
                return EXIT_BAD_INPUT;
            }
            // Anything else is a bug in ember: say so in one line, then the trace to report.
            commandLine.getErr().println("ember: internal error (a bug in ember, not in your input): " + e
                    + "; please report it with the trace below");
            e.printStackTrace(commandLine.getErr());
            return EXIT_INTERNAL_ERROR;
        });
        return cli;
    }

    /** Errors in what the user gave us: reported in one line, without a stack trace. */
    private static boolean isUserError(Exception e) {
        return e instanceof IllegalArgumentException || e instanceof IOException || e instanceof UncheckedIOException;
    }

    private static String message(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException missing) {
            return missing.getFile() + ": " + (missing.getReason() != null ? missing.getReason() : "no such file");
        }
        if (e instanceof java.nio.file.AccessDeniedException denied) {
            return denied.getFile() + ": permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getFile() != null) {
            return fs.getMessage();
        }
        if (e instanceof UncheckedIOException unchecked) {
            return message(unchecked.getCause());
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
