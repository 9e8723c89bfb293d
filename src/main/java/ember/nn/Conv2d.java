package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ConvShape;
import java.util.SplittableRandom;

/** A bias-free 2-D convolution over NCHW batches (ResNet puts batch norm after it instead). */
public final class Conv2d {
    private final Backend backend;
    private final ConvShape shape;
    private final Parameters.Param weight;

    /** {@code shape} is given for the largest batch; calls may use fewer images. */
    public Conv2d(Backend backend, ConvShape shape, Parameters.Param weight) {
        if (weight.spec().size() != shape.weightSize()) {
            throw new IllegalArgumentException("conv weight " + weight.spec() + " does not fit " + shape);
        }
        this.backend = backend;
        this.shape = shape;
        this.weight = weight;
    }

    /** The weight spec of a convolution: [out, in, k, k]. */
    public static ParamSpec spec(String name, ConvShape shape) {
        return new ParamSpec(name, shape.outChannels(), shape.inChannels(), shape.kernel(), shape.kernel());
    }

    public ConvShape shape() {
        return shape;
    }

    /** Kaiming normal with fan_out, as torch.nn.init.kaiming_normal_(mode="fan_out", nonlinearity="relu"). */
    public void initialize(SplittableRandom random) {
        double std = Math.sqrt(2.0 / (shape.outChannels() * shape.kernel() * shape.kernel()));
        float[] w = new float[shape.weightSize()];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (gaussian(random) * std);
        }
        backend.write(weight.value(), w);
    }

    static double gaussian(SplittableRandom random) {
        // Box–Muller: SplittableRandom has no nextGaussian of its own.
        double u = 1 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    /** y = conv(x); y is overwritten. */
    public void forward(Buffer x, Buffer y, int batch) {
        forward(x, y, null, batch);
    }

    /**
     * y = conv(x), and with stats (else null) what the backend's batch norm after it wants of y
     * ({@link Backend#conv2d(ConvShape, Buffer, Buffer, Buffer, Buffer)}).
     */
    public void forward(Buffer x, Buffer y, Buffer stats, int batch) {
        backend.conv2d(shape.withBatch(batch), x, weight.value(), y, stats);
    }

    /** The weight and its gradient, for a fused op that runs this convolution. */
    public Parameters.Param weight() {
        return weight;
    }

    /** Adds into the weight gradient; overwrites dx unless it is null (the network's input needs none). */
    public void backward(Buffer x, Buffer dy, Buffer dx, int batch) {
        backward(x, dy, null, false, dx, batch);
    }

    /**
     * As {@link #backward(Buffer, Buffer, Buffer, int)}, with dx = the input gradient + dxPlus
     * (when not null), and with throughRelu taken back through the ReLU whose output x is
     * ({@link ember.backend.Backend#conv2dBackward}).
     */
    public void backward(Buffer x, Buffer dy, Buffer dxPlus, boolean throughRelu, Buffer dx, int batch) {
        ConvShape s = shape.withBatch(batch);
        if (dx != null) {
            backend.conv2dBackward(s, x, dy, weight.value(), dxPlus, throughRelu, dx, weight.grad());
        } else {
            backend.conv2dBackwardFilter(s, x, dy, weight.grad());
        }
    }
}
