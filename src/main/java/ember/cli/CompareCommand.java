package ember.cli;

import ember.backend.Backends;
import ember.backend.Job;
import ember.data.BatchLoader;
import ember.data.ImageSet;
import ember.exp2.Exp2Trainer;
import ember.io.AtomicFiles;
import ember.io.Figures;
import ember.io.PythonTorch;
import ember.nn.ResNet;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The same ResNet20 training steps and test pass on every backend asked for, after a warm-up,
 * on the same random images: images per second, the lab's epoch projected from them, and the
 * speed-up over the CPU backend; with --torch, PyTorch's reference on the same kind of images.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Time ResNet20 training steps and a test pass on each backend (after a warm-up) and print "
                + "images/s, the projected epoch and the speed-up over the CPU backend; writes compare.csv and "
                + "compare.png. Backends that are absent are listed with the reason.")
final class CompareCommand implements Callable<Integer> {
    /** The lab's epoch: 390 steps of 128 images. */
    static final int EPOCH_IMAGES = 390 * 128;

    @Option(names = "--steps", description = "Timed training steps per backend. Default: ${DEFAULT-VALUE}")
    int steps = 10;

    @Option(names = "--devices", split = ",", description = "Backends to compare. Default: cpu,cuda,opencl")
    List<String> devices = List.of("cpu", "cuda", "opencl");

    @Option(names = "--batch", description = "Images per step. Default: ${DEFAULT-VALUE}")
    int batch = 128;

    @Option(names = "--torch", description = "Also time PyTorch's reference (../shared/reference/resnet20_torch.py "
            + "or --reference) on random images of the same shape: on the CPU, and on CUDA where torch has it.")
    boolean torch;

    @Option(names = "--reference", paramLabel = "PY", description = "The PyTorch reference script. "
            + "Default: ${DEFAULT-VALUE}")
    Path reference = Path.of("..", "shared", "reference", "resnet20_torch.py");

    @Option(names = "--out", description = "Output folder. Default: ${DEFAULT-VALUE}")
    Path out = Path.of("runs", "compare");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One line of the table: a backend's training and test speed, or why it did not run. */
    record Row(String name, String description, double trainImagesPerSecond, double testImagesPerSecond,
               String absentBecause) {
        boolean ran() {
            return absentBecause == null;
        }
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (steps < 1 || batch < 1) {
            throw new IllegalArgumentException("--steps and --batch must be at least 1, got " + steps + " and " + batch);
        }
        PrintWriter log = spec.commandLine().getOut();
        ImageSet train = ImageSet.random("train", (steps + 2) * batch, 1), test = ImageSet.random("test", 4 * batch, 2);
        List<Row> rows = new ArrayList<>();
        for (String device : devices) {
            rows.add(time(device, train, test));
            log.println(line(rows.getLast(), null));
            log.flush();
        }
        if (torch) {
            rows.addAll(pytorch());
        }
        Row cpu = rows.stream().filter(r -> r.name().equals("cpu") && r.ran()).findFirst().orElse(null);
        log.println();
        log.println(String.format(Locale.ROOT, "%-14s %12s %14s %12s %10s", "backend", "train img/s",
                "lab epoch (s)", "test img/s", "vs cpu"));
        for (Row r : rows) {
            log.println(line(r, cpu));
        }
        writeCsv(rows, cpu);
        try {
            writeChart(rows);
        } catch (Figures.FigureException e) {
            spec.commandLine().getErr().println("ember: warning: " + e.getMessage() + "; compare.csv has the numbers");
        }
        log.println("compare: " + steps + " steps of " + batch + " random images per backend, after 2 of warm-up -> "
                + out.resolve("{compare.csv, compare.png}"));
        return 0;
    }

    /** The warm-up and the timed steps, then a test pass, on one backend; or why it cannot run them. */
    private Row time(String device, ImageSet train, ImageSet test) {
        try (Backends.Choice choice = Backends.open(device, Job.EXP2);
             Exp2Trainer trainer = new Exp2Trainer(choice.backend(), ResNet.Config.resnet20(), batch, 0);
             BatchLoader warm = new BatchLoader(train.sample(2 * batch, 3), BatchLoader.Options.training(batch, 0));
             BatchLoader timed = new BatchLoader(train.sample(steps * batch, 4), BatchLoader.Options.training(batch, 0));
             BatchLoader testing = new BatchLoader(test, BatchLoader.Options.evaluation(batch))) {
            trainer.trainEpoch(1, 0.01f, warm, s -> {});
            Exp2Trainer.TrainResult result = trainer.trainEpoch(2, 0.01f, timed, s -> {});
            Exp2Trainer.Evaluation evaluation = trainer.evaluate(testing);
            return new Row(device, choice.backend().description(), result.images() / result.seconds(),
                    evaluation.images() / evaluation.seconds(), null);
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException absent) {
            return new Row(device, "", Double.NaN, Double.NaN, absent.getMessage());
        }
    }

    /** PyTorch's reference on its own random images (--synthetic), on the CPU and, where torch has it, on CUDA. */
    private List<Row> pytorch() throws InterruptedException {
        List<Row> rows = new ArrayList<>();
        if (PythonTorch.interpreter().isEmpty() || !Files.isRegularFile(reference)) {
            String why = PythonTorch.interpreter().isEmpty() ? PythonTorch.absence() : reference + " is absent";
            rows.add(new Row("torch-cpu", "", Double.NaN, Double.NaN, why));
            return rows;
        }
        for (String device : List.of("cpu", "cuda")) {
            try {
                String printed = PythonTorch.run(reference, List.of("--synthetic", "--epochs", "1", "--max-steps",
                        Integer.toString(steps), "--batch", Integer.toString(batch), "--device", device), 1800);
                Matcher speed = Pattern.compile("\"images_per_s\": ([0-9.]+)").matcher(printed);
                Matcher torchVersion = Pattern.compile("\"torch\": \"([^\"]+)\"").matcher(printed);
                rows.add(new Row("torch-" + device, "PyTorch " + (torchVersion.find() ? torchVersion.group(1) : "?"),
                        speed.find() ? Double.parseDouble(speed.group(1)) : Double.NaN, Double.NaN, null));
            } catch (IOException failed) {
                String why = failed.getMessage().lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("failed");
                rows.add(new Row("torch-" + device, "", Double.NaN, Double.NaN, why));
            }
        }
        return rows;
    }

    private static String line(Row r, Row cpu) {
        if (!r.ran()) {
            return String.format(Locale.ROOT, "%-14s absent: %s", r.name(), r.absentBecause());
        }
        String speedUp = cpu == null ? "" : String.format(Locale.ROOT, "%9.2fx", r.trainImagesPerSecond()
                / cpu.trainImagesPerSecond());
        return String.format(Locale.ROOT, "%-14s %12.1f %14.1f %12s %10s   %s", r.name(), r.trainImagesPerSecond(),
                EPOCH_IMAGES / r.trainImagesPerSecond(), Double.isNaN(r.testImagesPerSecond()) ? "-"
                        : String.format(Locale.ROOT, "%.1f", r.testImagesPerSecond()), speedUp, r.description());
    }

    private void writeCsv(List<Row> rows, Row cpu) throws IOException {
        StringBuilder csv = new StringBuilder("backend,train_images_per_s,lab_epoch_s,test_images_per_s,vs_cpu,"
                + "description,absent_because\n");
        for (Row r : rows) {
            csv.append(String.format(Locale.ROOT, "%s,%.2f,%.2f,%.2f,%.3f,\"%s\",\"%s\"%n", r.name(),
                    r.trainImagesPerSecond(), EPOCH_IMAGES / r.trainImagesPerSecond(), r.testImagesPerSecond(),
                    cpu == null ? Double.NaN : r.trainImagesPerSecond() / cpu.trainImagesPerSecond(),
                    r.description().replace("\"", "'"), r.ran() ? "" : r.absentBecause().replace("\"", "'")));
        }
        Files.createDirectories(out);
        AtomicFiles.write(out.resolve("compare.csv"), o -> o.write(csv.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private void writeChart(List<Row> rows) throws IOException {
        List<Row> ran = rows.stream().filter(r -> r.ran() && !Double.isNaN(r.trainImagesPerSecond())).toList();
        if (ran.isEmpty()) {
            return;
        }
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500)
                .title("ResNet20 training, " + batch + " images per step").xAxisTitle("backend")
                .yAxisTitle("images per second").build();
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("train", ran.stream().map(Row::name).toList(),
                ran.stream().map(Row::trainImagesPerSecond).toList());
        Figures.savePng(out.resolve("compare.png"), List.of(chart), 1, 1);
    }
}
