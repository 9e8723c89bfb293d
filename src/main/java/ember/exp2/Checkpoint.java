package ember.exp2;

import ember.io.Safetensors;
import ember.io.Safetensors.DType;
import ember.io.TorchSave;
import ember.io.WeightFiles;
import ember.nn.ParamSpec;
import ember.nn.ResNet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * exp2's files, with the reference's state-dict names:
 * <ul>
 * <li>weights (final.safetensors): parameters, BN running statistics and num_batches_tracked,
 *     so torch's load_state_dict takes it as is;</li>
 * <li>checkpoints: the same plus the momentum buffer and, in the metadata, the epochs done and
 *     everything that defines the run ({@link Run}), which is all a resumed run needs to
 *     continue exactly (the loader's shuffling and augmentation are functions of seed and
 *     epoch); the file's checksum ({@link Safetensors#CHECKSUM}) covers the tensors and this
 *     state, and a checkpoint without it, or failing it, is refused;</li>
 * <li>beside each, the lab's .pth: torch.save of {'net': state_dict, 'acc': test accuracy in
 *     percent, 'epoch': epochs done}, which {@code torch.load(path)['net']} restores.</li>
 * </ul>
 * Weights are read from either format (a .pth from PyTorch too).
 */
public final class Checkpoint {
    static final String MOMENTUM = "optimizer.momentum";
    static final String EPOCHS_DONE = "ember.exp2.epochs_done";
    static final String SCHEDULE = "ember.exp2.schedule";
    static final String BATCH = "ember.exp2.batch";
    static final String SEED = "ember.exp2.seed";
    static final String MODEL = "ember.exp2.model";
    static final String DATASET = "ember.exp2.dataset";
    static final String TRAIN_IMAGES = "ember.exp2.train_images";
    static final String TEST_IMAGES = "ember.exp2.test_images";
    static final String HISTORY = "ember.exp2.history";

    /** What training state a file holds; momentum and progress are absent from plain weights. */
    public record Contents(Map<String, float[]> parameters, Map<String, float[]> state, float[] momentum,
                           Progress progress) {}

    /**
     * Everything that defines a run, so that a resumed run can be checked to be the same one:
     * the model, the dataset's {@link ember.data.Cifar10Data#digest digest}, the images trained
     * and tested on (subsets are drawn with the seed), batch, seed and schedule.
     */
    public record Run(String model, String dataset, int trainImages, int testImages, int batch, long seed,
                      Schedule schedule) {}

    /** Where a run stood: epochs done of its run, and the epochs' results. */
    public record Progress(int epochsDone, Run run, List<EpochResult> history) {
        public Progress {
            history = List.copyOf(history);
        }
    }

    private Checkpoint() {}

    public static void saveWeights(Path file, ResNet model, long stepsDone) throws IOException {
        Safetensors.write(file, tensors(model, stepsDone), Map.of("format", "pt"));
    }

    /** The lab's layout: {'net': state_dict, 'acc': accuracy in percent, 'epoch': epochs done}. */
    public static void saveLabWeights(Path file, ResNet model, long stepsDone, double testAccuracy, int epoch)
            throws IOException {
        TorchSave.writeStateDict(file, tensors(model, stepsDone), Map.of("acc", 100 * testAccuracy, "epoch", epoch));
    }

    public static void saveCheckpoint(Path file, ResNet model, float[] momentum, Progress progress, long stepsDone)
            throws IOException {
        Map<String, Safetensors.Tensor> tensors = tensors(model, stepsDone);
        tensors.put(MOMENTUM, new Safetensors.Tensor(new int[] {momentum.length}, momentum));
        Run run = progress.run();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put(EPOCHS_DONE, Integer.toString(progress.epochsDone()));
        metadata.put(MODEL, run.model());
        metadata.put(DATASET, run.dataset());
        metadata.put(TRAIN_IMAGES, Integer.toString(run.trainImages()));
        metadata.put(TEST_IMAGES, Integer.toString(run.testImages()));
        metadata.put(BATCH, Integer.toString(run.batch()));
        metadata.put(SEED, Long.toString(run.seed()));
        metadata.put(SCHEDULE, run.schedule().toString());
        metadata.put(HISTORY, String.join("\n", progress.history().stream().map(EpochResult::csv).toList()));
        Safetensors.write(file, tensors, metadata);
    }

    private static Map<String, Safetensors.Tensor> tensors(ResNet model, long stepsDone) {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        Map<String, float[]> params = model.parameters().toHost();
        for (ParamSpec spec : model.config().paramSpecs()) {
            tensors.put(spec.name(), new Safetensors.Tensor(spec.shape(), params.get(spec.name())));
        }
        Map<String, float[]> state = model.state().toHost();
        for (ParamSpec spec : model.config().stateSpecs()) {
            tensors.put(spec.name(), new Safetensors.Tensor(spec.shape(), state.get(spec.name())));
            if (spec.name().endsWith(".running_var")) {
                String counter = spec.name().replace(".running_var", ".num_batches_tracked");
                tensors.put(counter, new Safetensors.Tensor(DType.I64, new int[] {}, new float[] {stepsDone}));
            }
        }
        return tensors;
    }

    /**
     * Reads weights or a checkpoint for {@code config}, from safetensors or a torch.save file;
     * every tensor the model needs must be present with its shape and no other may be, or the
     * IOException names the file and the tensors.
     */
    public static Contents read(Path file, ResNet.Config config) throws IOException {
        Safetensors.Contents contents = WeightFiles.read(file);
        Map<String, float[]> params = pick(file, contents, config.paramSpecs());
        Map<String, float[]> state = pick(file, contents, config.stateSpecs());
        List<String> extra = contents.tensors().keySet().stream()
                .filter(name -> !params.containsKey(name) && !state.containsKey(name) && !name.equals(MOMENTUM)
                        && !name.endsWith(".num_batches_tracked"))
                .toList();
        if (!extra.isEmpty()) {
            throw new IOException(file + ": tensors " + extra + " are not ResNet20's (" + config.paramSpecs().size()
                    + " parameters and their batch-norm statistics); a checkpoint of another model?");
        }
        Safetensors.Tensor momentum = contents.tensors().get(MOMENTUM);
        Progress progress = null;
        Map<String, String> meta = contents.metadata();
        if (meta.containsKey(EPOCHS_DONE)) {
            if (!meta.containsKey(Safetensors.CHECKSUM)) {
                throw new IOException(file + ": checkpoint has no checksum (" + Safetensors.CHECKSUM + "), so its "
                        + "training state cannot be trusted; start from its weights with --init");
            }
            try {
                Run run = new Run(required(meta, MODEL), required(meta, DATASET),
                        Integer.parseInt(required(meta, TRAIN_IMAGES)), Integer.parseInt(required(meta, TEST_IMAGES)),
                        Integer.parseInt(required(meta, BATCH)), Long.parseLong(required(meta, SEED)),
                        Schedule.parse(required(meta, SCHEDULE)));
                progress = new Progress(Integer.parseInt(meta.get(EPOCHS_DONE)), run,
                        meta.getOrDefault(HISTORY, "").lines().map(EpochResult::parseCsv).toList());
            } catch (RuntimeException e) {
                throw new IOException(file + ": checkpoint metadata is unreadable (" + e.getMessage() + ")");
            }
        }
        return new Contents(params, state, momentum == null ? null : momentum.data(), progress);
    }

    private static String required(Map<String, String> metadata, String key) {
        String value = metadata.get(key);
        if (value == null) {
            throw new IllegalArgumentException(key + " is missing");
        }
        return value;
    }

    private static Map<String, float[]> pick(Path file, Safetensors.Contents contents, List<ParamSpec> specs)
            throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (ParamSpec spec : specs) {
            Safetensors.Tensor t = contents.tensors().get(spec.name());
            if (t == null) {
                throw new IOException(file + ": tensor " + spec.name() + " is missing; not a ResNet20 checkpoint?");
            }
            if (!Arrays.equals(t.shape(), spec.shape()) || t.dtype() != DType.F32) {
                throw new IOException(file + ": tensor " + spec.name() + " is " + t.dtype() + Arrays.toString(t.shape())
                        + ", the model needs F32" + Arrays.toString(spec.shape()));
            }
            out.put(spec.name(), t.data());
        }
        return out;
    }

    /** Copies the weights and BN statistics of {@code contents} into the model. */
    public static void restoreWeights(Contents contents, ResNet model) {
        model.parameters().fromHost(contents.parameters());
        model.state().fromHost(contents.state());
    }

}
