package ember.cli;

import ember.backend.Backends;
import ember.exp1.Exp1Config;
import ember.exp1.TargetFunction;
import ember.nn.Activation;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The flags shared by `exp1` and `exp1 sweep`. */
final class Exp1Options {
    @Option(names = "--function", paramLabel = "EXPR",
            description = "Function of x to fit (exp4j syntax). Default: ${DEFAULT-VALUE}")
    String function = TargetFunction.LAB_DEFAULT;

    @Option(names = "--epochs", paramLabel = "N",
            description = "Training steps, one random batch each (the lab's NUM_TRAIN_EPOCHS). Default: ${DEFAULT-VALUE}")
    int epochs = Exp1Config.DEFAULT_EPOCHS;

    @Option(names = "--lr", paramLabel = "LR", description = "Learning rate (the lab's LEARNING_RATE). Default: ${DEFAULT-VALUE}")
    float lr = Exp1Config.DEFAULT_LR;

    @Option(names = "--momentum", description = "SGD momentum. Default: ${DEFAULT-VALUE}")
    float momentum = Exp1Config.DEFAULT_MOMENTUM;

    @Option(names = "--batch", description = "Samples per step. Default: ${DEFAULT-VALUE}")
    int batch = Exp1Config.DEFAULT_BATCH;

    @Option(names = "--samples", description = "Size of the fixed training set. Default: ${DEFAULT-VALUE}")
    int samples = Exp1Config.DEFAULT_SAMPLES;

    @Option(names = "--x-min", description = "Left end of the sample range. Default: ${DEFAULT-VALUE}")
    double xMin = -5;

    @Option(names = "--x-max", description = "Right end of the sample range. Default: ${DEFAULT-VALUE}")
    double xMax = 5;

    @Option(names = "--hidden", split = ",", paramLabel = "W[,W...]",
            description = "Hidden layer widths. Default: ${DEFAULT-VALUE}")
    int[] hidden = {64, 64};

    @Option(names = "--activation", description = "tanh or relu. Default: ${DEFAULT-VALUE}",
            converter = ActivationConverter.class)
    Activation activation = Activation.TANH;

    @Option(names = "--seed", description = "Seed for samples, initial weights and batches. Default: ${DEFAULT-VALUE}")
    long seed = 1;

    @Option(names = "--device", description = "Backend: " + Backends.DEVICES + ". Default: ${DEFAULT-VALUE}")
    String device = "auto";

    @Option(names = "--out", description = "Folder for the model, loss curve and figures. Default: ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--overwrite", description = "Replace the files of an earlier run in --out (without it, "
            + "a folder holding them is refused).")
    boolean overwrite;

    Exp1Config config() {
        TargetFunction.parse(function); // fail on a bad expression before anything else
        return new Exp1Config(function, epochs, lr, momentum, batch, samples, xMin, xMax, hidden, activation, seed);
    }

    /**
     * Makes the output folder ready before any training: writable, our stale temporary files
     * gone, and an earlier run's {@code outputs} refused, or deleted with --overwrite.
     */
    void claim(Path dir, java.util.List<String> outputs) throws java.io.IOException {
        ember.io.OutputFolder folder = new ember.io.OutputFolder(dir, outputs);
        java.util.List<Path> earlier = folder.prepare();
        if (!earlier.isEmpty() && !overwrite) {
            throw folder.occupied(earlier);
        }
        ember.io.OutputFolder.delete(earlier);
    }

    static final class ActivationConverter implements picocli.CommandLine.ITypeConverter<Activation> {
        @Override
        public Activation convert(String value) {
            try {
                return Activation.valueOf(value.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not tanh or relu");
            }
        }
    }
}
