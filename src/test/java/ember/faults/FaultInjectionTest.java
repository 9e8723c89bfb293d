package ember.faults;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ember.backend.cpu.CpuBackend;
import ember.data.Cifar10;
import ember.data.Cifar10Data;
import ember.data.CifarFixtures;
import ember.data.ImageSet;
import ember.exp2.Checkpoint;
import ember.exp2.Schedule;
import ember.io.Safetensors;
import ember.io.Sha256;
import ember.io.TorchSave;
import ember.io.WeightFiles;
import ember.nn.ResNet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file type the engine reads, damaged {@value #MUTATIONS} seeded ways each (see
 * {@link Mutations}): each read ends in the intact file's result, or in an IOException naming
 * the file (which the command line prints in one line with exit 2), never in another exception
 * or a hang. A read that succeeds with a different result is allowed only where the format
 * itself cannot tell: a flipped or zeroed byte in a raw CIFAR record, damage inside JPEG scan
 * data that the decoder does not warn about. The counts are printed and written to
 * target/fault-injection.txt; docs/robustness.md quotes them.
 */
class FaultInjectionTest {
    static final int MUTATIONS = 300;
    private static final Cifar10.Expected TINY = new Cifar10.Expected(20, 10);
    private static final Map<String, Map<Outcome, Integer>> REPORT = new LinkedHashMap<>();

    enum Outcome { SAME, REFUSED, CHANGED_UNDETECTABLE }

    @TempDir
    static Path tmp;

    /** Reads a file and returns a fingerprint of what the engine would use from it. */
    @FunctionalInterface
    interface Reader {
        String read(Path file) throws IOException;
    }

    /**
     * Damages {@code intact} {@value #MUTATIONS} ways, each written to {@code file}, and checks
     * each read's outcome; {@code changeAllowed} says which kinds the format cannot detect.
     */
    private static void inject(String type, Path file, byte[] intact, Reader reader,
                               java.util.function.Predicate<Mutations.Kind> changeAllowed, String named) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Files.write(file, intact);
            String expected = reader.read(file);
            Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
            for (Outcome o : Outcome.values()) {
                counts.put(o, 0);
            }
            Mutations mutations = new Mutations(type.hashCode());
            for (int i = 0; i < MUTATIONS; i++) {
                Mutations.Mutation m = mutations.next(i, intact);
                Files.write(file, m.bytes());
                Outcome outcome;
                try {
                    outcome = reader.read(file).equals(expected) ? Outcome.SAME : Outcome.CHANGED_UNDETECTABLE;
                } catch (IOException e) {
                    assertTrue(e.getMessage() != null && e.getMessage().contains(named),
                            type + ", " + m.what() + ": the message does not name " + named + ": " + e.getMessage());
                    outcome = Outcome.REFUSED;
                } catch (RuntimeException | Error e) {
                    throw new AssertionError(type + ", " + m.kind() + " " + m.what() + ": crashed with " + e, e);
                }
                if (outcome == Outcome.CHANGED_UNDETECTABLE && !changeAllowed.test(m.kind())) {
                    fail(type + ", " + m.what() + ": read without error but gave a different result");
                }
                counts.merge(outcome, 1, Integer::sum);
            }
            Files.write(file, intact);
            synchronized (REPORT) {
                REPORT.put(type, counts);
            }
        });
    }

    private static final ImageSet TRAIN = ImageSet.random("train", 20, 3);
    private static final ImageSet TEST = ImageSet.random("test", 10, 4);

    private static String fingerprint(Cifar10Data data) {
        MessageDigest sha = Sha256.newDigest();
        for (ImageSet set : List.of(data.train(), data.test())) {
            sha.update(set.pixels());
            for (int label : set.labels()) {
                sha.update((byte) label);
            }
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    private static String fingerprint(Map<String, float[]> tensors, Object rest) {
        MessageDigest sha = Sha256.newDigest();
        tensors.forEach((name, values) -> {
            sha.update(name.getBytes(StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.allocate(values.length * 4);
            for (float v : values) {
                b.putInt(Float.floatToRawIntBits(v));
            }
            sha.update(b.array());
        });
        sha.update(String.valueOf(rest).getBytes(StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    private static String fingerprint(Safetensors.Contents contents) {
        Map<String, float[]> values = new LinkedHashMap<>();
        StringBuilder shapes = new StringBuilder();
        contents.tensors().forEach((name, t) -> {
            values.put(name, t.data());
            shapes.append(name).append(t.dtype()).append(java.util.Arrays.toString(t.shape()));
        });
        return fingerprint(values, shapes + "|" + new java.util.TreeMap<>(contents.metadata()));
    }

    @Test
    void cifarBinaryBatch() throws IOException {
        Path batches = CifarFixtures.writeBinary(tmp.resolve("bin"), TRAIN, TEST);
        Path file = batches.resolve("test_batch.bin");
        // Raw records carry no checksum: a flipped pixel or a label flipped to another class reads as valid.
        inject("CIFAR binary batch", file, Files.readAllBytes(file),
                f -> fingerprint(Cifar10.load(batches, TINY, 1)), Mutations.Kind::keepsLength, file.toString());
    }

    @Test
    void jpegInAnImageFolder() throws IOException {
        Path root = tmp.resolve("jpeg");
        CifarFixtures.writeImageFolder(root, TRAIN, TEST, "jpg");
        Path file = root.resolve("train/bird/0001.jpg");
        // Entropy-coded scan data has no checksum: most damage there decodes, without a warning, to another image.
        inject("JPEG (image folder)", file, Files.readAllBytes(file), f -> fingerprint(Cifar10.load(root, TINY, 1)),
                kind -> kind != Mutations.Kind.TRUNCATE, file.toString());
    }

    @Test
    void pngInAnImageFolder() throws IOException {
        Path root = tmp.resolve("png");
        CifarFixtures.writeImageFolder(root, TRAIN, TEST, "png");
        Path file = root.resolve("test/ship/0000.png");
        inject("PNG (image folder)", file, Files.readAllBytes(file), f -> fingerprint(Cifar10.load(root, TINY, 1)),
                kind -> false, file.toString());
    }

    @Test
    void tarGzOfAnImageFolder() throws IOException {
        Path root = tmp.resolve("targz-tree");
        CifarFixtures.writeImageFolder(root, TRAIN, TEST, "png");
        Path archive = CifarFixtures.tarGz(root, tmp.resolve("cifar.tar.gz"), true);
        inject(".tar.gz (PNG tree)", archive, Files.readAllBytes(archive),
                f -> fingerprint(Cifar10.load(f, TINY, 1)), kind -> false, archive.toString());
    }

    private static Map<String, Safetensors.Tensor> smallModel() {
        SplittableRandom random = new SplittableRandom(11);
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (String layer : List.of("0", "2", "4")) {
            float[] w = new float[64], b = new float[8];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextGaussian();
            }
            tensors.put(layer + ".weight", new Safetensors.Tensor(new int[] {8, 8}, w));
            tensors.put(layer + ".bias", new Safetensors.Tensor(new int[] {8}, b));
        }
        return tensors;
    }

    @Test
    void safetensorsModel() throws IOException {
        Path file = tmp.resolve("model.safetensors");
        Safetensors.write(file, smallModel(), Map.of("format", "pt", "ember.exp1.config", "{\"hidden\":[8,8]}"));
        inject("safetensors model", file, Files.readAllBytes(file), f -> fingerprint(WeightFiles.read(f)),
                kind -> false, file.toString());
    }

    @Test
    void pthModel() throws IOException {
        Path file = tmp.resolve("model.pth");
        TorchSave.writeStateDict(file, smallModel(), Map.of("epoch", 3));
        inject(".pth model (torch.save)", file, Files.readAllBytes(file), f -> fingerprint(WeightFiles.read(f)),
                kind -> false, file.toString());
    }

    @Test
    void exp2Checkpoint() throws IOException {
        Path file = tmp.resolve("epoch-01.safetensors");
        ResNet.Config config = ResNet.Config.resnet20();
        try (CpuBackend cpu = CpuBackend.javaOnly(1); ResNet model = new ResNet(cpu, config, 2)) {
            model.initialize(5);
            float[] momentum = new float[model.parameters().count()];
            java.util.Arrays.fill(momentum, 0.125f);
            Checkpoint.saveCheckpoint(file, model, momentum, new Checkpoint.Progress(1,
                    new Checkpoint.Run("resnet20", "d1g35t", 1024, 500, 64, 7, Schedule.parse("0.1x1,0.01x1")),
                    List.of()), 16);
        }
        inject("exp2 checkpoint", file, Files.readAllBytes(file), f -> {
            Checkpoint.Contents c = Checkpoint.read(f, config);
            Map<String, float[]> all = new LinkedHashMap<>(c.parameters());
            all.putAll(c.state());
            all.put("momentum", c.momentum());
            return fingerprint(all, c.progress());
        }, kind -> false, file.toString());
    }

    @AfterAll
    static void report() throws IOException {
        StringBuilder text = new StringBuilder(String.format("%-26s %9s %6s %8s %22s%n", "file type", "mutations",
                "same", "refused", "changed (undetectable)"));
        REPORT.forEach((type, c) -> text.append(String.format("%-26s %9d %6d %8d %22d%n", type, MUTATIONS,
                c.get(Outcome.SAME), c.get(Outcome.REFUSED), c.get(Outcome.CHANGED_UNDETECTABLE))));
        System.out.print(text);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "fault-injection.txt"), text);
    }
}
