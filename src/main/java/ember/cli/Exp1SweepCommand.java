package ember.cli;

import ember.backend.Backends;
import ember.backend.Job;
import ember.exp1.Exp1Config;
import ember.exp1.Exp1Data;
import ember.exp1.Exp1Plots;
import ember.exp1.Exp1Trainer;
import ember.exp1.TargetFunction;
import ember.io.Figures;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The lab's questions 1 and 2 in one command: how epochs and learning rate change the fit. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Epochs in {100, 1000, 10000, 50000} at --lr, and LR in {1, 0.1, 0.01, 0.001} at 1000 "
                + "epochs: two figures (sweep-epochs.png, sweep-lr.png) and a table (sweep.md, sweep.csv).")
final class Exp1SweepCommand implements Callable<Integer> {
    static final int[] EPOCHS = {100, 1000, 10_000, 50_000};
    static final float[] LEARNING_RATES = {1f, 0.1f, 0.01f, 0.001f};
    static final int LR_SWEEP_EPOCHS = 1000;

    @Mixin
    Exp1Options options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private record Row(String sweep, Exp1Trainer.Result result) {}

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = options.out != null ? options.out : Path.of("runs", "exp1-sweep");
        Exp1Config base = options.config();
        options.claim(dir, List.of("sweep-epochs.png", "sweep-lr.png", "sweep.md", "sweep.csv"));
        Exp1Data data = Exp1Data.of(base, TargetFunction.parse(base.function()));
        List<Row> rows = new ArrayList<>();
        try (Backends.Choice choice = Backends.open(options.device, Job.EXP1)) {
            out.println(choice.summary());
            out.flush();
            for (int epochs : EPOCHS) {
                rows.add(new Row("epochs", run(choice, base.withEpochs(epochs), data)));
            }
            for (float lr : LEARNING_RATES) {
                rows.add(new Row("lr", run(choice, base.withEpochs(LR_SWEEP_EPOCHS).withLr(lr), data)));
            }
        }
        try {
            Exp1Plots.write(dir.resolve("sweep-epochs.png"),
                    String.format(Locale.ROOT, "exp1: epochs sweep at lr %s", base.lr()), data, curves(rows, "epochs"));
            Exp1Plots.write(dir.resolve("sweep-lr.png"),
                    "exp1: learning-rate sweep at " + LR_SWEEP_EPOCHS + " epochs", data, curves(rows, "lr"),
                    losses(rows, "lr"));
        } catch (Figures.FigureException e) {
            spec.commandLine().getErr().println("ember: warning: " + e.getMessage() + "; the table follows");
        }
        String table = table(rows);
        ember.io.AtomicFiles.write(dir.resolve("sweep.md"), o -> o.write(table.getBytes(StandardCharsets.UTF_8)));
        ember.io.AtomicFiles.write(dir.resolve("sweep.csv"), o -> o.write(csv(rows).getBytes(StandardCharsets.UTF_8)));
        out.print(table);
        out.println("exp1 sweep -> " + dir.resolve("{sweep-epochs.png, sweep-lr.png, sweep.md, sweep.csv}"));
        return 0;
    }

    private Exp1Trainer.Result run(Backends.Choice choice, Exp1Config config, Exp1Data data) {
        String task = String.format(Locale.ROOT, "epochs %d lr %s", config.epochs(), config.lr());
        try (Progress progress = new Progress(task, config.epochs())) {
            return Exp1Trainer.train(choice.backend(), config, data, progress);
        }
    }

    private static List<Exp1Plots.Curve> curves(List<Row> rows, String sweep) {
        return rows.stream().filter(r -> r.sweep().equals(sweep)).map(r -> new Exp1Plots.Curve(
                String.format(Locale.ROOT, "%d epochs, lr %s%s", r.result().config().epochs(), r.result().config().lr(),
                        r.result().diverged() ? " (diverged)" : ""), r.result().gridPrediction())).toList();
    }

    /** Each run's losses, a diverged one's up to the step where it blew up. */
    private static List<Exp1Plots.LossCurve> losses(List<Row> rows, String sweep) {
        return rows.stream().filter(r -> r.sweep().equals(sweep)).map(r -> new Exp1Plots.LossCurve(
                String.format(Locale.ROOT, "lr %s%s", r.result().config().lr(), r.result().diverged()
                        ? " (diverged at step " + r.result().divergedAt() + ")" : ""), r.result().losses())).toList();
    }

    private static String table(List<Row> rows) {
        StringBuilder t = new StringBuilder("| sweep | epochs | lr | final train MSE | grid MSE | seconds |\n"
                + "|---|---:|---:|---:|---:|---:|\n");
        for (Row row : rows) {
            Exp1Trainer.Result r = row.result();
            String mse = r.diverged() ? "diverged at step " + r.divergedAt() : String.format(Locale.ROOT, "%.5f", r.trainMse());
            String grid = r.diverged() ? "-" : String.format(Locale.ROOT, "%.5f", r.gridMse());
            t.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %.2f |%n", row.sweep(),
                    r.config().epochs(), r.config().lr(), mse, grid, r.seconds()));
        }
        return t.toString();
    }

    private static String csv(List<Row> rows) {
        StringBuilder t = new StringBuilder("sweep,epochs,lr,train_mse,grid_mse,diverged_at_step,seconds\n");
        for (Row row : rows) {
            Exp1Trainer.Result r = row.result();
            t.append(String.format(Locale.ROOT, "%s,%d,%s,%s,%s,%d,%.3f%n", row.sweep(), r.config().epochs(),
                    r.config().lr(), r.trainMse(), r.gridMse(), r.divergedAt(), r.seconds()));
        }
        return t.toString();
    }
}
