package ember.exp1;

import static ember.testing.CommandRun.ember;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.cli.Main;
import ember.testing.CommandRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** exp1 end to end through the real command line: what a user types, what they see. */
class Exp1CommandTest {
    @TempDir
    Path dir;

    @Test
    void defaultFunctionFitsBelowAStatedMseAndSavesEverything() throws Exception {
        CommandRun run = ember("exp1", "--device", "cpu", "--seed", "1", "--out", dir.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("backend: cpu"), run.out());
        Exp1Model.Saved saved = Exp1Model.load(dir.resolve("model.safetensors"), null);
        assertEquals(TargetFunction.LAB_DEFAULT, saved.config().function());
        // The lab's model.pth holds the same tensors and config.
        Exp1Model.Saved pth = Exp1Model.load(dir.resolve("model.pth"), null);
        assertEquals(saved.config().function(), pth.config().function());
        org.junit.jupiter.api.Assertions.assertArrayEquals(saved.config().hidden(), pth.config().hidden());
        saved.weights().forEach((name, w) -> org.junit.jupiter.api.Assertions.assertArrayEquals(w, pth.weights().get(name), name));
        // Measured 1.7e-4 with seed 1 (docs/exp1.md); 1e-3 leaves room for BLAS rounding differences.
        String mse = run.out().replaceAll("(?s).*train MSE ([0-9.]+).*", "$1");
        assertTrue(Double.parseDouble(mse) < 1e-3, "train MSE " + mse);
        List<String> loss = Files.readAllLines(dir.resolve("loss.csv"));
        assertEquals(Exp1Config.DEFAULT_EPOCHS + 1, loss.size());
        assertTrue(Files.size(dir.resolve("fit.png")) > 10_000);

        for (String model : new String[] {"model.safetensors", "model.pth"}) {
            Files.deleteIfExists(dir.resolve("fit-loaded.png"));
            CommandRun replot = ember("exp1", "--load", dir.resolve(model).toString(), "--out", dir.toString());
            assertEquals(0, replot.exit(), replot.err());
            assertTrue(Files.exists(dir.resolve("fit-loaded.png")), model);
        }
    }

    @Test
    void userFunctionIsFitted() {
        CommandRun run = ember("exp1", "--function", "sin(3*x) + abs(x)", "--x-min", "-2", "--x-max", "2",
                "--epochs", "3000", "--device", "cpu", "--out", dir.toString());
        assertEquals(0, run.exit(), run.err());
        String mse = run.out().replaceAll("(?s).*grid MSE ([0-9.]+).*", "$1");
        // Measured 6.9e-4 (default seed); 2e-3 leaves room for BLAS rounding, and a fit that stalls
        // (MSE 0.05 is a flat line through the wiggles) fails.
        assertTrue(Double.parseDouble(mse) < 2e-3, "grid MSE " + mse);
    }

    @Test
    void badFunctionIsNamedWithAnExample() {
        CommandRun run = ember("exp1", "--function", "x^2 + foo(x)", "--out", dir.toString());
        assertEquals(Main.EXIT_BAD_INPUT, run.exit());
        assertTrue(run.err().contains("bad --function \"x^2 + foo(x)\""), run.err());
        assertTrue(run.err().contains("e.g. \"x^2 + 2*sin(x) + cos(x-1) - 5\""), run.err());
    }

    @Test
    void functionUndefinedOnTheRangeIsRefusedBeforeTraining() {
        CommandRun run = ember("exp1", "--function", "log(x)", "--out", dir.toString());
        assertEquals(Main.EXIT_BAD_INPUT, run.exit());
        assertTrue(run.err().contains("is not finite at x = "), run.err());
    }

    @Test
    void missingModelFileIsNamed() {
        Path absent = dir.resolve("nope.safetensors");
        CommandRun run = ember("exp1", "--load", absent.toString());
        assertEquals(Main.EXIT_BAD_INPUT, run.exit());
        assertEquals("ember: " + absent + ": model file does not exist", run.err().strip());
    }

    @Test
    void divergenceIsReportedAtItsStepAndNoModelIsSaved() throws Exception {
        CommandRun run = ember("exp1", "--lr", "1", "--epochs", "1000", "--device", "cpu", "--out", dir.toString());
        assertEquals(Main.EXIT_DIVERGED, run.exit(), run.out() + run.err());
        assertTrue(run.err().matches("(?s)ember: exp1 diverged at step \\d+: the loss became (NaN|-?Infinity) with --lr 1\\.0.*"),
                run.err());
        int step = Integer.parseInt(run.err().replaceAll("(?s).*at step (\\d+).*", "$1"));
        List<String> loss = Files.readAllLines(dir.resolve("loss.csv"));
        assertEquals(step + 1, loss.size(), "loss.csv ends at the diverging step");
        assertTrue(loss.getLast().matches(step + ",(NaN|-?Infinity)"), loss.getLast());
        assertTrue(Files.notExists(dir.resolve("model.safetensors")));
    }
}
