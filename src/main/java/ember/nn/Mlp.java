package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A multilayer perceptron: Linear, activation, …, Linear. Parameter names follow a PyTorch
 * nn.Sequential of the same layers ("0.weight", "0.bias", "2.weight", …), so a saved model
 * loads into one with load_state_dict. Activations and their gradients are allocated once,
 * for {@code maxBatch} rows; a step allocates nothing.
 */
public final class Mlp implements AutoCloseable {

    /** Widths from input to output, e.g. [1, 64, 64, 1], and the nonlinearity between. */
    public record Shape(int[] widths, Activation activation) {
        public Shape {
            widths = widths.clone();
            if (widths.length < 2) {
                throw new IllegalArgumentException("an MLP needs an input and an output width");
            }
            for (int w : widths) {
                if (w < 1) {
                    throw new IllegalArgumentException("layer widths must be positive, got " + w);
                }
            }
        }

        @Override
        public int[] widths() {
            return widths.clone();
        }

        public List<ParamSpec> specs() {
            List<ParamSpec> specs = new ArrayList<>();
            for (int i = 0; i + 1 < widths.length; i++) {
                specs.addAll(Linear.specs(Integer.toString(2 * i), widths[i], widths[i + 1]));
            }
            return specs;
        }
    }

    private final Backend backend;
    private final Parameters parameters;
    private final List<Layer> layers = new ArrayList<>();
    private final List<Linear> linears = new ArrayList<>();
    private final Buffer[] activations; // activations[i] is the output of layer i
    private final Buffer[] gradients;   // gradients[i] is d loss / d activations[i]
    private final int maxBatch;

    public Mlp(Backend backend, Shape shape, int maxBatch) {
        this.backend = backend;
        this.maxBatch = maxBatch;
        this.parameters = new Parameters(backend, shape.specs());
        int[] widths = shape.widths();
        for (int i = 0; i + 1 < widths.length; i++) {
            String prefix = Integer.toString(2 * i);
            Linear linear = new Linear(backend, parameters.get(prefix + ".weight"), parameters.get(prefix + ".bias"));
            linears.add(linear);
            layers.add(linear);
            if (i + 2 < widths.length) {
                layers.add(shape.activation().layer(backend, widths[i + 1]));
            }
        }
        activations = new Buffer[layers.size()];
        gradients = new Buffer[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            activations[i] = backend.allocate(maxBatch * layers.get(i).outputWidth());
            gradients[i] = backend.allocate(maxBatch * layers.get(i).outputWidth());
        }
    }

    public Parameters parameters() {
        return parameters;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** PyTorch's default Linear initialisation, from a seeded generator. */
    public void initialize(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Linear linear : linears) {
            linear.initialize(random);
        }
    }

    /** Runs the layers on {@code batch} rows of x; returns a view of the output rows. */
    public Buffer forward(Buffer x, int batch) {
        checkBatch(batch);
        Buffer input = x;
        for (int i = 0; i < layers.size(); i++) {
            Buffer output = rows(activations[i], i, batch);
            layers.get(i).forward(input, output, batch);
            input = output;
        }
        return input;
    }

    /** Back-propagates dOutput (batch × outputWidth) from the last forward; adds into the gradients. */
    public void backward(Buffer x, Buffer dOutput, int batch) {
        checkBatch(batch);
        Buffer dy = dOutput;
        for (int i = layers.size() - 1; i >= 0; i--) {
            Buffer in = i == 0 ? x : rows(activations[i - 1], i - 1, batch);
            Buffer dx = i == 0 ? null : rows(gradients[i - 1], i - 1, batch);
            layers.get(i).backward(in, rows(activations[i], i, batch), dy, dx, batch);
            dy = dx;
        }
    }

    /** A scratch buffer shaped like the output, for the loss gradient. */
    public Buffer outputGradient(int batch) {
        return rows(gradients[layers.size() - 1], layers.size() - 1, batch);
    }

    private Buffer rows(Buffer buffer, int layer, int batch) {
        return buffer.slice(0, batch * layers.get(layer).outputWidth());
    }

    private void checkBatch(int batch) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + maxBatch);
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < layers.size(); i++) {
            activations[i].close();
            gradients[i].close();
        }
        parameters.close();
    }
}
