package ember.cli;

import ember.backend.Backends;
import ember.backend.Job;
import ember.exp1.Exp1Config;
import ember.exp1.Exp1Data;
import ember.exp1.Exp1Model;
import ember.exp1.Exp1Plots;
import ember.exp1.Exp1Trainer;
import ember.exp1.TargetFunction;
import ember.io.Figures;
import ember.nn.Mlp;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** exp1: fit a function of x with a small MLP, save the model, the loss curve and a plot. */
@Command(name = "exp1", mixinStandardHelpOptions = true, subcommands = Exp1SweepCommand.class,
        description = "Fit f(x) (default: the lab's x^2 + 2 sin x + cos(x-1) - 5) with an MLP; "
                + "writes model.safetensors, model.pth, loss.csv and fit.png.")
final class Exp1Command implements Callable<Integer> {
    @Mixin
    Exp1Options options;

    @Option(names = "--load", paramLabel = "MODEL",
            description = "Re-plot a saved model (model.safetensors or model.pth, or an MLP's state dict "
                    + "saved by PyTorch: then with --function, --x-min, --x-max and --activation) instead of training.")
    Path load;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** What exp1 writes into --out: an earlier run's are refused, or replaced with --overwrite. */
    static final List<String> OUTPUTS = List.of("model.safetensors", "model.pth", "loss.csv", "fit.png");

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = options.out != null ? options.out : Path.of("runs", "exp1");
        if (load != null) {
            return replot(out, dir);
        }
        Exp1Config config = options.config();
        options.claim(dir, OUTPUTS);
        Exp1Data data = Exp1Data.of(config, TargetFunction.parse(config.function()));
        Exp1Trainer.Result result;
        try (Backends.Choice choice = Backends.open(options.device, Job.EXP1);
             Progress progress = new Progress("exp1", config.epochs())) {
            out.println(choice.summary());
            out.flush();
            result = Exp1Trainer.train(choice.backend(), config, data, progress);
        }
        writeLossCurve(dir.resolve("loss.csv"), result.losses());
        if (result.diverged()) {
            spec.commandLine().getErr().printf(Locale.ROOT,
                    "ember: exp1 diverged at step %d: the loss became %s with --lr %s; "
                    + "lower the learning rate (e.g. --lr %s). loss.csv kept, no model saved.%n",
                    result.divergedAt(), result.losses()[result.divergedAt() - 1], config.lr(), config.lr() / 10);
            return Main.EXIT_DIVERGED;
        }
        Exp1Model.save(dir, "model", config, result.weights());
        String outputs = "{model.safetensors, model.pth, loss.csv, fit.png}";
        try {
            Exp1Plots.write(dir.resolve("fit.png"), title(config), data,
                    List.of(new Exp1Plots.Curve("MLP fit", result.gridPrediction())));
        } catch (Figures.FigureException e) {
            spec.commandLine().getErr().println("ember: warning: " + e.getMessage());
            outputs = "{model.safetensors, model.pth, loss.csv}";
        }
        out.printf(Locale.ROOT, "exp1: %d epochs, lr %s: train MSE %.5f, grid MSE %.5f, %.2f s on %s -> %s%n",
                config.epochs(), config.lr(), result.trainMse(), result.gridMse(), result.seconds(),
                result.backend(), dir.resolve(outputs));
        return 0;
    }

    private int replot(PrintWriter out, Path dir) throws IOException {
        Exp1Model.Saved saved = Exp1Model.load(load, options.config());
        new ember.io.OutputFolder(dir, List.of("fit-loaded.png")).prepare();
        Exp1Config config = saved.config();
        if (!Exp1Model.hasConfig(load)) {
            out.printf(Locale.ROOT, "exp1: %s has no ember config: an MLP 1 -> %s -> 1 with %s, plotted against "
                    + "f(x) = %s on [%s, %s] (set --function, --x-min, --x-max, --activation to change)%n", load,
                    java.util.Arrays.toString(config.hidden()), config.activation().name().toLowerCase(Locale.ROOT),
                    config.function(), config.xMin(), config.xMax());
        }
        Exp1Data data = Exp1Data.of(config, TargetFunction.parse(config.function()));
        float[] prediction;
        try (Backends.Choice choice = Backends.open(options.device, Job.EXP1);
             Mlp model = new Mlp(choice.backend(), config.shape(), Exp1Data.GRID_POINTS)) {
            Exp1Model.restore(choice.backend(), model, saved.weights());
            prediction = Exp1Model.predict(choice.backend(), model, data.gridX());
        }
        Path png = dir.resolve("fit-loaded.png");
        Exp1Plots.write(png, title(config) + " (loaded)", data, List.of(new Exp1Plots.Curve("MLP fit", prediction)));
        out.printf(Locale.ROOT, "exp1: loaded %s: grid MSE %.5f -> %s%n", load, Exp1Data.mse(prediction, data.gridY()), png);
        return 0;
    }

    static String title(Exp1Config config) {
        return String.format(Locale.ROOT, "f(x) = %s; %d epochs, lr %s", config.function(), config.epochs(), config.lr());
    }

    static void writeLossCurve(Path csv, float[] losses) throws IOException {
        Files.createDirectories(csv.toAbsolutePath().getParent());
        StringBuilder text = new StringBuilder("step,loss\n");
        for (int i = 0; i < losses.length; i++) {
            text.append(i + 1).append(',').append(losses[i]).append('\n');
        }
        ember.io.AtomicFiles.write(csv, o -> o.write(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
