package ember.exp1;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.io.Safetensors;
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
 * A trained exp1 model on disk: the MLP's tensors in safetensors, with the run's config in
 * the metadata so that --load can rebuild the same network and re-plot the same function.
 */
public final class Exp1Model {
    private static final String CONFIG_KEY = "ember.exp1.config";
    private static final Gson GSON = new Gson();

    private Exp1Model() {}

    public record Saved(Exp1Config config, Map<String, float[]> weights) {}

    public static void save(Path file, Exp1Config config, Map<String, float[]> weights) throws IOException {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (ParamSpec spec : config.shape().specs()) {
            tensors.put(spec.name(), new Safetensors.Tensor(spec.shape(), weights.get(spec.name())));
        }
        Safetensors.write(file, tensors, Map.of(CONFIG_KEY, GSON.toJson(config)));
    }

    /** Reads a model saved by {@link #save}; a file that is not one gives an IOException naming it. */
    public static Saved load(Path file) throws IOException {
        Safetensors.Contents contents = Safetensors.read(file);
        String json = contents.metadata().get(CONFIG_KEY);
        if (json == null) {
            throw new IOException(file + ": not an exp1 model (no " + CONFIG_KEY + " in its metadata)");
        }
        Exp1Config config;
        try {
            config = GSON.fromJson(json, Exp1Config.class);
            config = new Exp1Config(config.function(), config.epochs(), config.lr(), config.momentum(), config.batch(),
                    config.samples(), config.xMin(), config.xMax(), config.hidden(),
                    config.activation() == null ? Activation.TANH : config.activation(), config.seed());
        } catch (RuntimeException e) {
            throw new IOException(file + ": exp1 config in the metadata is unreadable (" + e.getMessage() + ")");
        }
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
