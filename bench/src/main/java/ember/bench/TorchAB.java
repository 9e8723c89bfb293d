package ember.bench;

import ember.backend.cpu.CpuBackend;
import ember.data.BatchLoader;
import ember.data.Cifar10;
import ember.data.ImageSet;
import ember.exp2.Exp2Trainer;
import ember.io.PythonTorch;
import ember.nn.ResNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * ember's CPU backend against PyTorch's CPU engine on exp2's step, in turns: one JVM trains
 * epochs of a fixed subset of CIFAR-10 with {@link Exp2Trainer} (the exp2 step, its loader and its
 * phase split), one PyTorch process ({@code bench/torch_phases.py}, the reference script's model and
 * recipe) trains epochs of the same images on the same cores, each waiting while the other runs.
 * Round 0 warms both up (JIT, oneDNN's kernels) and is not counted; then the median per phase of
 * the rounds, in ms per step, and ember / torch. {@code --threads}: ember's workers and torch's
 * threads (default: every core the JVM sees).
 *
 * <pre>bench/ab-torch.sh DATA [--images 12800] [--rounds 3] [--threads N] [--reference PY]</pre>
 */
public final class TorchAB {
    private static final int BATCH = 128;
    private static final long SEED = 0;
    private static final float LR = 0.1f;
    private static final String[] PHASES = {"loader", "forward", "backward", "update"};

    private TorchAB() {}

    /** One engine's epoch: steps and seconds per phase, in {@link #PHASES}' order. */
    private record Epoch(int steps, double[] seconds) {
        double msPerStep(int phase) {
            return 1e3 * seconds[phase] / steps;
        }

        double stepMs() {
            return 1e3 * Arrays.stream(seconds).sum() / steps;
        }

        /** Reads torch_phases.py's line "torch steps S loader L forward F backward B update U". */
        static Epoch parse(String line) {
            String[] words = line.trim().split("\\s+");
            if (words.length != 11 || !words[0].equals("torch")) {
                throw new IllegalStateException("torch_phases.py said: " + line);
            }
            double[] seconds = new double[PHASES.length];
            for (int p = 0; p < PHASES.length; p++) {
                seconds[p] = Double.parseDouble(words[4 + 2 * p]);
            }
            return new Epoch(Integer.parseInt(words[2]), seconds);
        }

        String describe() {
            return String.format(Locale.ROOT, "%6.1f ms/step (loader %.1f, forward %.1f, backward %.1f, update %.1f)",
                    stepMs(), msPerStep(0), msPerStep(1), msPerStep(2), msPerStep(3));
        }
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length == 0 || args[0].startsWith("-")) {
            System.err.println("usage: TorchAB DATA [--images 12800] [--rounds 3] [--threads N] [--reference PY]");
            System.exit(2);
        }
        Path data = Path.of(args[0]);
        int images = 12_800, rounds = 3, threads = Runtime.getRuntime().availableProcessors();
        Path reference = Path.of("../shared/reference/resnet20_torch.py");
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--images" -> images = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--reference" -> reference = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ImageSet train = Cifar10.load(data).train().sample(images, SEED);
        Path file = Files.createTempFile("torch-ab-", ".u8");
        try {
            writeImages(train, file);
            compare(train, file, reference, rounds, threads);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The images as torch_phases.py reads them: N×3072 pixel bytes (CHW), then N label bytes. */
    private static void writeImages(ImageSet set, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(set.pixels());
            byte[] labels = new byte[set.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = (byte) set.labels()[i];
            }
            out.write(labels);
        }
    }

    private static void compare(ImageSet train, Path file, Path reference, int rounds, int threads)
            throws IOException, InterruptedException {
        String python = PythonTorch.interpreter().orElseThrow(() -> new IOException(PythonTorch.absence()));
        Process torch = new ProcessBuilder(python, "bench/torch_phases.py", reference.toString(), file.toString(),
                "--threads", Integer.toString(threads), "--batch", Integer.toString(BATCH))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Epoch> embers = new ArrayList<>(), torches = new ArrayList<>();
        try (BufferedReader fromTorch = new BufferedReader(new InputStreamReader(torch.getInputStream(),
                StandardCharsets.UTF_8));
             PrintWriter toTorch = new PrintWriter(torch.getOutputStream(), true, StandardCharsets.UTF_8);
             CpuBackend cpu = CpuBackend.withBlasIfPresent(threads);
             Exp2Trainer trainer = new Exp2Trainer(cpu, ResNet.Config.resnet20(), BATCH, SEED);
             BatchLoader loader = new BatchLoader(train, BatchLoader.Options.training(BATCH, SEED))) {
            System.out.println("ember: " + cpu.description());
            System.out.println(fromTorch.readLine());
            for (int round = 0; round <= rounds; round++) {
                Exp2Trainer.TrainResult e = trainer.trainEpoch(round + 1, LR, loader, step -> {});
                Epoch ember = new Epoch(e.steps(), new double[] {e.loaderSeconds(), e.forwardSeconds(),
                        e.backwardSeconds(), e.updateSeconds()});
                toTorch.println("epoch " + (round + 1));
                String line = fromTorch.readLine();
                if (line == null) {
                    throw new IOException("torch_phases.py ended early (exit " + torch.waitFor() + ")");
                }
                Epoch other = Epoch.parse(line);
                String label = round == 0 ? "warm-up" : "round " + round;
                System.out.printf(Locale.ROOT, "%-8s ember %s%n%-8s torch %s%n", label, ember.describe(), "",
                        other.describe());
                if (round > 0) {
                    embers.add(ember);
                    torches.add(other);
                }
            }
        } finally {
            torch.destroy();
        }
        report(embers, torches, train.size() / BATCH, threads);
    }

    /** Medians over the rounds, per phase and for the whole step, and ember / torch. */
    private static void report(List<Epoch> embers, List<Epoch> torches, int steps, int threads) {
        System.out.printf(Locale.ROOT, "median of %d rounds of %d steps, %d threads, ms per step:%n", embers.size(),
                steps, threads);
        System.out.printf("%-10s %8s %8s %8s%n", "phase", "ember", "torch", "ratio");
        for (int p = 0; p < PHASES.length; p++) {
            int phase = p;
            row(PHASES[p], median(embers.stream().mapToDouble(e -> e.msPerStep(phase)).toArray()),
                    median(torches.stream().mapToDouble(e -> e.msPerStep(phase)).toArray()));
        }
        row("step", median(embers.stream().mapToDouble(Epoch::stepMs).toArray()),
                median(torches.stream().mapToDouble(Epoch::stepMs).toArray()));
    }

    private static void row(String name, double ember, double torch) {
        System.out.printf(Locale.ROOT, "%-10s %8.1f %8.1f %7.2fx%n", name, ember, torch, ember / torch);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
