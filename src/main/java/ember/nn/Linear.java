package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import java.util.List;
import java.util.SplittableRandom;

/** y = x·Wᵀ + b, with W stored out×in as in PyTorch. */
public final class Linear implements Layer {
    private final Backend backend;
    private final Parameters.Param weight;
    private final Parameters.Param bias;
    private final int in;
    private final int out;
    private final Activations owned;
    private final Buffer y;
    private final Buffer dx;

    /** With inputGradient false, backward leaves x's gradient out (a network's first layer). */
    public Linear(Backend backend, Parameters.Param weight, Parameters.Param bias, int maxBatch,
                  boolean inputGradient) {
        int[] shape = weight.spec().shape();
        if (shape.length != 2 || bias.spec().size() != shape[0]) {
            throw new IllegalArgumentException("Linear needs weight [out, in] and bias [out], got "
                    + weight.spec() + " and " + bias.spec());
        }
        this.backend = backend;
        this.weight = weight;
        this.bias = bias;
        this.out = shape[0];
        this.in = shape[1];
        this.owned = new Activations(backend, maxBatch);
        this.y = owned.allocate(out);
        this.dx = inputGradient ? owned.allocate(in) : null;
    }

    /** The specs of a Linear layer named {@code prefix}: prefix.weight [out, in], prefix.bias [out]. */
    public static List<ParamSpec> specs(String prefix, int in, int out) {
        return List.of(new ParamSpec(prefix + ".weight", out, in), new ParamSpec(prefix + ".bias", out));
    }

    /** PyTorch's default: weight and bias uniform in ±1/√in. */
    public void initialize(SplittableRandom random) {
        double bound = 1 / Math.sqrt(in);
        backend.write(weight.value(), uniform(random, in * out, bound));
        backend.write(bias.value(), uniform(random, out, bound));
    }

    private static float[] uniform(SplittableRandom random, int n, double bound) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(-bound, bound);
        }
        return values;
    }

    public int inputWidth() {
        return in;
    }

    public int outputWidth() {
        return out;
    }

    @Override
    public Buffer forward(Buffer x, int batch, boolean training) {
        Buffer result = owned.rows(y, out, batch);
        backend.gemm(false, true, batch, out, in, 1f, x, weight.value(), 0f, result);
        backend.addBias(result, bias.value(), batch, out);
        return result;
    }

    @Override
    public Buffer backward(Buffer x, Buffer dy, int batch) {
        backend.gemm(true, false, out, in, batch, 1f, dy, x, 1f, weight.grad());
        backend.sumRows(dy, bias.grad(), batch, out);
        if (dx == null) {
            return null;
        }
        Buffer d = owned.rows(dx, in, batch);
        backend.gemm(false, false, batch, in, out, 1f, dy, weight.value(), 0f, d);
        return d;
    }

    @Override
    public void close() {
        owned.close();
    }
}
