package ember.backend.opencl;

import static ember.testing.CommandRun.ember;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ember.backend.Backends;
import ember.backend.Job;
import ember.backend.parity.Comparison;
import ember.backend.parity.Tolerances;
import ember.backend.reference.ReferenceBackend;
import ember.data.Cifar10;
import ember.data.CifarFixtures;
import ember.exp1.Exp1Config;
import ember.exp1.Exp1Data;
import ember.exp1.Exp1Trainer;
import ember.exp1.TargetFunction;
import ember.exp2.EpochResult;
import ember.nn.Activation;
import ember.testing.CommandRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * exp1 and a short exp2 end to end on the first OpenCL device (PoCL's CPU device in CI), through
 * the command line; without any OpenCL device each test is skipped with the reason. The ops
 * themselves are checked against the reference in BackendParityTest.
 */
class OpenClEndToEndTest {
    static final Path SHARED = Path.of("..", "shared", "data", "cifar10-jpeg.tar.gz");

    @TempDir
    Path dir;

    private static void requireOpenCl() {
        assumeTrue(OpenClDevices.list().any(), () -> "no OpenCL device: " + OpenClDevices.list().reason());
    }

    @Test
    void exp1TrainingFollowsTheDoublePrecisionReference() {
        requireOpenCl();
        // Exp1TrainerTest's check of the CPU backend: 40 steps at a small rate, where float32 and
        // float64 have not yet drifted apart (at the lab's rate, training amplifies rounding within
        // ~100 steps, on the CPU backend as here).
        Exp1Config config = new Exp1Config(TargetFunction.LAB_DEFAULT, 40, 0.002f, 0.9f, 16, 200, -5, 5,
                new int[] {12, 9}, Activation.TANH, 4);
        Exp1Data data = Exp1Data.of(config, TargetFunction.parse(config.function()));
        Exp1Trainer.Result onOpenCl, onReference;
        try (OpenClBackend opencl = OpenClBackend.open("opencl"); ReferenceBackend reference = new ReferenceBackend()) {
            onOpenCl = Exp1Trainer.train(opencl, config, data, steps -> {});
            onReference = Exp1Trainer.train(reference, config, data, steps -> {});
        }
        Comparison curves = Comparison.of(onReference.losses(), onOpenCl.losses(), Tolerances.TRAINING_F32);
        assertTrue(curves.ok(), "exp1 losses, opencl vs reference: " + curves.summary());
    }

    @Test
    void anUnknownDeviceNumberListsTheDevices() {
        requireOpenCl();
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Backends.open("opencl:99", Job.EXP1));
        assertTrue(e.getMessage().startsWith("--device opencl:99: no such OpenCL device; this machine has opencl:0 "),
                e.getMessage());
    }

    @Test
    void autoTakesAnOpenClDeviceForExp2OnlyWhenItIsAGpu() {
        requireOpenCl();
        assumeTrue(OpenClDevices.list().devices().stream().noneMatch(OpenClDevices.Device::gpu), "an OpenCL GPU is here");
        try (Backends.Choice choice = Backends.open("auto", Job.EXP2)) {
            assertTrue(choice.reason().contains("no OpenCL GPU: only opencl:0 "), choice.reason());
        }
    }

    @Test
    void exp1RunsFromTheCommandLine() throws Exception {
        requireOpenCl();
        CommandRun run = ember("exp1", "--device", "opencl", "--epochs", "1000", "--out", dir.toString());
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("backend: opencl ("), run.out());
        assertTrue(Files.size(dir.resolve("model.pth")) > 1000 && Files.size(dir.resolve("loss.csv")) > 1000);
    }

    @Test
    void aShortExp2RunTrainsAndWritesEverything() throws Exception {
        requireOpenCl();
        assumeTrue(Files.isRegularFile(SHARED), () -> "no CIFAR-10 at " + SHARED.toAbsolutePath());
        var all = Cifar10.load(SHARED);
        Path data = dir.resolve("cifar"), out = dir.resolve("run");
        CifarFixtures.writeBinary(data, all.train(), all.test());
        CommandRun run = ember("exp2", "--device", "opencl", "--data", data.toString(), "--train-images", "2048",
                "--test-images", "500", "--schedule", "0.1x1", "--out", out.toString());
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("backend: opencl ("), run.out());
        List<String> csv = Files.readAllLines(out.resolve("exp2.csv"));
        EpochResult epoch = EpochResult.parseCsv(csv.get(1));
        // 16 steps from ln(10) = 2.30: the loss moved and stayed finite (the ops are checked in BackendParityTest).
        assertTrue(Double.isFinite(epoch.train().loss()) && epoch.train().loss() < 2.6, "train loss "
                + epoch.train().loss());
        for (String file : List.of("final.safetensors", "final.pth", "checkpoints/epoch-01.safetensors")) {
            assertTrue(Files.size(out.resolve(file)) > 1000, file);
        }
        // Ops only queue work here, so the split comes from marks in the device's queue: the
        // forward and backward passes hold most of the time (host clocks charged nearly all of
        // it to the loader, whose upload waited for the queue).
        var split = java.util.regex.Pattern.compile("train ([0-9.]+) s .*\\[loader ([0-9.]+), forward ([0-9.]+), "
                + "backward ([0-9.]+), update ([0-9.]+) s\\]").matcher(run.out().replace('\r', '\n'));
        assertTrue(split.find(), run.out());
        double train = Double.parseDouble(split.group(1)), loader = Double.parseDouble(split.group(2));
        double passes = Double.parseDouble(split.group(3)) + Double.parseDouble(split.group(4));
        assertTrue(passes > 0.8 * train && loader < 0.1 * train, "phases of " + train + " s: " + split.group(0));
    }
}
