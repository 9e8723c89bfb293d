package ember.exp1;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.io.Safetensors;
import ember.io.TorchSave;
import ember.io.WeightFiles;
import ember.nn.Activation;
import ember.nn.Mlp;
import ember.nn.ParamSpec;
import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trained exp1 model on disk, twice: model.safetensors and the lab's model.pth (a torch.save
 * of {'net': state_dict}), both with the run's config beside the tensors so that --load can
 * rebuild the same network and re-plot the same function. A .pth from PyTorch without that
 * config loads too: its widths are read off its tensors.
 */
public final class Exp1Model {
    private static final String CONFIG_KEY = "ember.exp1.config";
    private static final Gson GSON = new Gson();

    private Exp1Model() {}

    public record Saved(Exp1Config config, Map<String, float[]> weights) {}

    /** Writes NAME.safetensors and NAME.pth in dir. */
    public static void save(Path dir, String name, Exp1Config config, Map<String, float[]> weights) throws IOException {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (ParamSpec spec : config.shape().specs()) {
            tensors.put(spec.name(), new Safetensors.Tensor(spec.shape(), weights.get(spec.name())));
        }
        String json = GSON.toJson(config);
        Safetensors.write(dir.resolve(name + ".safetensors"), tensors, Map.of(CONFIG_KEY, json));
        TorchSave.writeStateDict(dir.resolve(name + ".pth"), tensors, Map.of(CONFIG_KEY, json));
    }

    /**
     * Reads a model saved by {@link #save}, or an MLP's state dict saved by PyTorch (then with
     * {@code otherwise}'s function, range and activation, and the widths its tensors have); a
     * file that is neither gives an IOException naming it.
     */
    public static Saved load(Path file, Exp1Config otherwise) throws IOException {
        Safetensors.Contents contents = WeightFiles.read(file);
        String json = contents.metadata().get(CONFIG_KEY);
        Exp1Config config = json != null ? parseConfig(file, json) : withWidthsOf(file, contents, otherwise);
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (ParamSpec spec : config.shape().specs()) {
            Safetensors.Tensor t = contents.tensors().get(spec.name());
            if (t == null || !Arrays.equals(t.shape(), spec.shape())) {
                throw new IOException(file + ": tensor " + spec + " is missing or has another shape ("
                        + (t == null ? "absent" : Arrays.toString(t.shape())) + ")");
            }
            weights.put(spec.name(), t.data());
        }
        return new Saved(config, weights);
    }

    /** Whether the file carried its run's config (else {@link #load} took the widths from the tensors). */
    public static boolean hasConfig(Path file) throws IOException {
        return WeightFiles.read(file).metadata().containsKey(CONFIG_KEY);
    }

    /** otherwise, with the hidden widths of the nn.Sequential(Linear, act, Linear, ...) whose tensors these are. */
    private static Exp1Config withWidthsOf(Path file, Safetensors.Contents contents, Exp1Config otherwise)
            throws IOException {
        java.util.List<Integer> hidden = new java.util.ArrayList<>();
        int layer = 0;
        for (; contents.tensors().containsKey(layer + ".weight"); layer += 2) {
            int[] shape = contents.tensors().get(layer + ".weight").shape();
            if (shape.length != 2 || (layer == 0 && shape[1] != 1)) {
                throw new IOException(file + ": " + layer + ".weight is " + Arrays.toString(shape)
                        + "; an exp1 MLP's layers are Linear, the first with one input");
            }
            hidden.add(shape[0]);
        }
        if (hidden.size() < 2 || hidden.getLast() != 1) {
            throw new IOException(file + ": not an exp1 model: no " + CONFIG_KEY + ", and its tensors "
                    + contents.tensors().keySet() + " are not an MLP from one input to one output "
                    + "(0.weight, 2.weight, ... of an nn.Sequential)");
        }
        hidden.removeLast();
        return new Exp1Config(otherwise.function(), otherwise.epochs(), otherwise.lr(), otherwise.momentum(),
                otherwise.batch(), otherwise.samples(), otherwise.xMin(), otherwise.xMax(),
                hidden.stream().mapToInt(Integer::intValue).toArray(), otherwise.activation(), otherwise.seed());
    }

    private static Exp1Config parseConfig(Path file, String json) throws IOException {
        Exp1Config config;
        try {
            config = GSON.fromJson(json, Exp1Config.class);
            config = new Exp1Config(config.function(), config.epochs(), config.lr(), config.momentum(), config.batch(),
                    config.samples(), config.xMin(), config.xMax(), config.hidden(),
                    config.activation() == null ? Activation.TANH : config.activation(), config.seed());
        } catch (RuntimeException e) {
            throw new IOException(file + ": exp1 config in the metadata is unreadable (" + e.getMessage() + ")");
        }
        return config;
    }

    /** Copies saved weights into a model built for the same shape. */
    public static void restore(Backend backend, Mlp model, Map<String, float[]> weights) {
        for (var p : model.parameters().all()) {
            backend.write(p.value(), weights.get(p.spec().name()));
        }
    }

    /** The model's output at each x, in chunks of the model's batch capacity. */
    public static float[] predict(Backend backend, Mlp model, float[] xs) {
        float[] out = new float[xs.length];
        float[] chunk = new float[model.maxBatch()];
        try (Buffer input = backend.allocate(model.maxBatch())) {
            for (int from = 0; from < xs.length; from += model.maxBatch()) {
                int n = Math.min(model.maxBatch(), xs.length - from);
                System.arraycopy(xs, from, chunk, 0, n);
                Buffer in = input.slice(0, n);
                backend.write(in, chunk);
                backend.read(model.forward(in, n), chunk);
                System.arraycopy(chunk, 0, out, from, n);
            }
        }
        return out;
    }
}
