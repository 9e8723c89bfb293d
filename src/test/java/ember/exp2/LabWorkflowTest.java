package ember.exp2;

import static ember.testing.CommandRun.ember;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ember.data.ImageSet;
import ember.data.CifarFixtures;
import ember.testing.CommandRun;
import ember.testing.TorchPython;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab's workflow with real PyTorch on each side, on a generated CIFAR-10 of random images
 * in the official binary layout (which the reference script reads too): weights PyTorch trained and
 * saved as .pth evaluate here to PyTorch's own accuracy; a pretrain_model.pth starts a run;
 * our final.pth opens in the reference's ResNet20 with load_state_dict.
 */
class LabWorkflowTest {
    private static final Path REFERENCE = Path.of("../shared/reference/resnet20_torch.py").toAbsolutePath();
    private static final int TEST_IMAGES = 10_000;

    @TempDir
    static Path dir;
    static Path data;

    @BeforeAll
    static void generatedData() throws Exception {
        data = dir.resolve("cifar");
        CifarFixtures.writeBinary(data, ImageSet.random("train", 50_000, 1),
                ImageSet.random("test", TEST_IMAGES, 2));
    }

    private static void requireTorchAndReference() {
        TorchPython.assumePresent();
        assumeTrue(Files.exists(REFERENCE), () -> REFERENCE + " is absent");
    }

    /** The reference script with these arguments; its output (JSON lines). */
    private static String reference(String... args) throws Exception {
        return TorchPython.runFile(REFERENCE, args);
    }

    @Test
    void weightsPytorchTrainedGiveItsOwnAccuracyHere() throws Exception {
        requireTorchAndReference();
        Path trained = dir.resolve("trained.pth");
        reference("--data", data.toString(), "--epochs", "1", "--max-steps", "3", "--threads", "2", "--save",
                trained.toString());
        String evaluated = reference("--data", data.toString(), "--eval-only", "--load", trained.toString(),
                "--threads", "2");
        Matcher m = Pattern.compile("\"test_acc\": ([0-9.]+)").matcher(evaluated);
        assertTrue(m.find(), evaluated);
        double pytorch = Double.parseDouble(m.group(1));

        CommandRun ours = ember("exp2", "--device", "cpu", "--data", data.toString(), "--eval-only", "--init",
                trained.toString());
        assertEquals(0, ours.exit(), ours.out() + ours.err());
        Matcher a = Pattern.compile("test accuracy ([0-9.]+)% .* on (\\d+) images").matcher(ours.out());
        assertTrue(a.find(), ours.out());
        assertEquals(TEST_IMAGES, Integer.parseInt(a.group(2)));
        // The same images through the same weights: the same argmax, up to one near-tie in float rounding.
        assertEquals(100 * pytorch, Double.parseDouble(a.group(1)), 100.0 / TEST_IMAGES + 0.005,
                "PyTorch " + evaluated + " / ours " + ours.out());
    }

    @Test
    void aPretrainModelPthStartsTheSecondPhase() throws Exception {
        requireTorchAndReference();
        Path pretrain = dir.resolve("pretrain_model.pth");
        reference("--save-init", pretrain.toString());
        Path out = dir.resolve("second-phase");
        CommandRun run = ember("exp2", "--device", "cpu", "--data", data.toString(), "--train-images", "256",
                "--test-images", "100", "--batch", "64", "--init", pretrain.toString(), "--schedule", "0.01x1",
                "--out", out.toString());
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("loaded " + pretrain), run.out());
        assertTrue(Files.isRegularFile(out.resolve("final.pth")), "final.pth");
    }

    @Test
    void ourFinalPthLoadsIntoTheReferenceModel() throws Exception {
        requireTorchAndReference();
        Path out = dir.resolve("run");
        CommandRun run = ember("exp2", "--device", "cpu", "--data", data.toString(), "--train-images", "256",
                "--test-images", "100", "--batch", "64", "--schedule", "0.1x1", "--out", out.toString());
        assertEquals(0, run.exit(), run.out() + run.err());
        // One epoch: the checkpoint's weights are the final ones (its .safetensors also holds the momentum).
        for (String[] pair : new String[][] {{"final.pth", "final.safetensors"},
            {"checkpoints/epoch-01.pth", "final.safetensors"}}) {
            String checked = TorchPython.run("state_dict_io.py", "check", out.resolve(pair[0]).toString(),
                    out.resolve(pair[1]).toString(), REFERENCE.toString());
            assertTrue(checked.contains("\"ok\": true") && checked.contains("\"epoch\": 1")
                    && checked.contains("\"acc\": "), pair[0] + ": " + checked);
        }
    }
}
