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

    private final Parameters parameters;
    private final List<Layer> layers = new ArrayList<>();
    private final List<Linear> linears = new ArrayList<>();
    private final Buffer[] inputs; // inputs[i] is what layer i read in the last forward
    private final Buffer outputGradient;
    private final int outputWidth;
    private final int maxBatch;

    public Mlp(Backend backend, Shape shape, int maxBatch) {
        this.maxBatch = maxBatch;
        this.parameters = new Parameters(backend, shape.specs());
        int[] widths = shape.widths();
        for (int i = 0; i + 1 < widths.length; i++) {
            String prefix = Integer.toString(2 * i);
            // The first layer's input is the data: it needs no gradient.
            Linear linear = new Linear(backend, parameters.get(prefix + ".weight"), parameters.get(prefix + ".bias"),
                    maxBatch, i > 0);
            linears.add(linear);
            layers.add(linear);
            if (i + 2 < widths.length) {
                layers.add(shape.activation().layer(backend, widths[i + 1], maxBatch));
            }
        }
        inputs = new Buffer[layers.size()];
        outputWidth = widths[widths.length - 1];
        outputGradient = backend.allocate(maxBatch * outputWidth);
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
        Buffer h = x;
        for (int i = 0; i < layers.size(); i++) {
            inputs[i] = h;
            h = layers.get(i).forward(h, batch, true);
        }
        return h;
    }

    /** Back-propagates dOutput (batch × outputWidth) through the last forward; adds into the gradients. */
    public void backward(Buffer dOutput, int batch) {
        checkBatch(batch);
        Buffer dy = dOutput;
        for (int i = layers.size() - 1; i >= 0; i--) {
            dy = layers.get(i).backward(inputs[i], dy, batch);
        }
    }

    /** A buffer shaped like the output (its first batch rows), for the loss gradient. */
    public Buffer outputGradient(int batch) {
        checkBatch(batch);
        return outputGradient.slice(0, batch * outputWidth);
    }

    private void checkBatch(int batch) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + maxBatch);
        }
    }

    @Override
    public void close() {
        layers.forEach(Layer::close);
        outputGradient.close();
        parameters.close();
    }
}
