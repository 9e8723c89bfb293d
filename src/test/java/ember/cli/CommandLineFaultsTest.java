package ember.cli;

import static ember.testing.CommandRun.ember;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.backend.cpu.CpuBackend;
import ember.exp2.Checkpoint;
import ember.io.Safetensors;
import ember.nn.ResNet;
import ember.testing.CommandRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Wrong flags, unusable output folders and damaged model files, through the real command line:
 * each ends in one line naming what is wrong and exit 2, before any data is loaded or any
 * training done; none of them needs CIFAR-10.
 */
class CommandLineFaultsTest {
    @TempDir
    Path dir;

    private static void assertRefused(CommandRun r, String... fragments) {
        assertEquals(Main.EXIT_BAD_INPUT, r.exit(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "lacks '" + f + "': " + r.err());
        }
    }

    private String noData() {
        return dir.resolve("no-data").toString();
    }

    /** --data points nowhere: had a flag not been checked first, the error would be the missing data. */
    @Test
    void badNumbersAreNamedBeforeTheDataIsRead() {
        assertRefused(ember("exp2", "--batch", "0", "--data", noData(), "--out", dir.resolve("o").toString()),
                "--batch must be at least 1, got 0");
        assertRefused(ember("exp2", "--train-images", "0", "--data", noData()), "--train-images must be at least 1");
        assertRefused(ember("exp2", "--epochs", "-3", "--data", noData()), "--epochs must be at least 1");
    }

    @Test
    void outNamingAFileIsNamedAndSaysWhy() throws Exception {
        Path file = Files.writeString(dir.resolve("results.txt"), "not a folder");
        assertRefused(ember("exp2", "--out", file.toString(), "--data", noData()),
                "--out " + file + ": is a file, not a folder");
        assertRefused(ember("exp1", "--device", "cpu", "--epochs", "1", "--out", file.toString()),
                "--out " + file + ": is a file, not a folder");
    }

    /** Found before the data is read: the missing data would otherwise be the error (or an epoch of training). */
    @Test
    void unwritableOutFailsFirst() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "in the way");
        assertRefused(ember("exp2", "--out", file.resolve("run").toString(), "--data", noData()),
                "--out " + file.resolve("run") + ": cannot write there");
    }

    @Test
    void readOnlyOutIsRefused() throws Exception {
        Path locked = Files.createDirectories(dir.resolve("locked"));
        assertTrue(locked.toFile().setWritable(false), "cannot make a read-only folder here");
        try {
            Assumptions.assumeFalse(Files.isWritable(locked), "running as root: every folder is writable");
            assertRefused(ember("exp2", "--out", locked.resolve("run").toString(), "--data", noData()),
                    "--out " + locked.resolve("run") + ": cannot write there", "permission denied");
        } finally {
            locked.toFile().setWritable(true);
        }
    }

    @Test
    void anotherRunsFilesAreRefusedOrReplacedWithOverwrite() throws Exception {
        Path out = Files.createDirectories(dir.resolve("run"));
        Files.writeString(out.resolve("final.safetensors"), "an earlier run's weights");
        Files.writeString(out.resolve("notes.md"), "the user's own notes");
        assertRefused(ember("exp2", "--out", out.toString(), "--data", noData()),
                "--out " + out + " holds another run's files (final.safetensors)", "--overwrite");
        // With --overwrite they go before any training (here the missing data then stops the run).
        CommandRun r = ember("exp2", "--overwrite", "--out", out.toString(), "--data", noData());
        assertTrue(r.err().contains("dataset path does not exist"), r.err());
        assertFalse(Files.exists(out.resolve("final.safetensors")));
        assertTrue(Files.exists(out.resolve("notes.md")), "files that are not ours stay");
    }

    /** exp1: an old model beside a diverged run's loss.csv would look like that run's result. */
    @Test
    void exp1NeverLeavesAnEarlierModelBesideANewRun() throws Exception {
        Files.writeString(dir.resolve("model.safetensors"), "an earlier fit");
        assertRefused(ember("exp1", "--device", "cpu", "--lr", "1", "--epochs", "1000", "--out", dir.toString()),
                "holds another run's files (model.safetensors)");
        CommandRun r = ember("exp1", "--device", "cpu", "--lr", "1", "--epochs", "1000", "--overwrite", "--out", dir.toString());
        assertEquals(Main.EXIT_DIVERGED, r.exit(), r.err());
        assertTrue(Files.exists(dir.resolve("loss.csv")));
        assertFalse(Files.exists(dir.resolve("model.safetensors")), "the earlier model is gone");
    }

    @Test
    void staleTemporaryFilesOfOurWritesAreCleaned() throws Exception {
        Path checkpoints = Files.createDirectories(dir.resolve("run/checkpoints"));
        Path stale = Files.writeString(checkpoints.resolve(".epoch-03.safetensors8812734.tmp"), "half a checkpoint");
        Path staleTop = Files.writeString(dir.resolve("run/.exp2.csv77.tmp"), "half a log");
        Path foreign = Files.writeString(dir.resolve("run/.editor-swap.tmp"), "not ours");
        ember("exp2", "--out", dir.resolve("run").toString(), "--data", noData());
        assertFalse(Files.exists(stale));
        assertFalse(Files.exists(staleTop));
        assertTrue(Files.exists(foreign));
    }

    @Test
    void loadingAFolderNamesIt() {
        assertRefused(ember("exp1", "--load", dir.toString()), dir + ": is a folder; give a weights file");
        assertRefused(ember("exp2", "--init", dir.toString(), "--data", noData()), dir + ": is a folder");
    }

    /** Needs no CIFAR-10: the checkpoint is read before the data. */
    @Test
    void badCheckpointsAreNamed() throws Exception {
        Path other = dir.resolve("exp1.safetensors");
        Safetensors.write(other, Map.of("0.weight", new Safetensors.Tensor(new int[] {1}, new float[] {1})), Map.of());
        assertRefused(ember("exp2", "--init", other.toString(), "--data", noData()),
                other + ": tensor conv1.weight is missing");
        byte[] bytes = Files.readAllBytes(other);
        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        assertRefused(ember("exp2", "--resume", truncated.toString(), "--data", noData()),
                truncated + ": not a valid safetensors file");
        Path weights = dir.resolve("final.safetensors");
        try (CpuBackend cpu = CpuBackend.javaOnly(1); ResNet model = new ResNet(cpu, ResNet.Config.resnet20(), 2)) {
            Checkpoint.saveWeights(weights, model, 0);
        }
        assertRefused(ember("exp2", "--resume", weights.toString(), "--data", noData(), "--out", dir.resolve("o").toString()),
                "holds weights but no training state; start from it with --init");
    }

    @Test
    void mainJobSaysWhatItFoundInsteadOfFallingBack() throws Exception {
        Files.createDirectories(dir.resolve("data/cifar-10-batches-py"));
        Files.writeString(dir.resolve("data/README.md"), "how to get CIFAR-10");
        assertRefused(ember("main", "--data", dir.resolve("data").toString()),
                "not CIFAR-10 as ember reads it", "cifar-10-batches-py/", "README.md");
    }

    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("an engine invariant broke");
        }
    }

    /** A user error exits 2 in one line; anything else is ember's bug, said so, with the trace to report. */
    @Test
    void unexpectedExceptionsAreInternalErrorsWithTheTrace() {
        CommandLine cli = Main.commandLine().addSubcommand("boom", new Boom());
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(Main.EXIT_INTERNAL_ERROR, cli.execute("boom"));
        List<String> lines = err.toString().lines().toList();
        assertTrue(lines.getFirst().startsWith("ember: internal error (a bug in ember, not in your input): "
                + "java.lang.IllegalStateException: an engine invariant broke"), err.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("CommandLineFaultsTest$Boom.call")), err.toString());
    }
}
