package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ConvShape;
import java.util.SplittableRandom;

/**
 * relu(BN(conv(x))): a ResNet's stem. The convolution leaves its stats for the batch norm, and
 * the batch norm and ReLU run as one fused op. Backward computes no gradient for x (the stem
 * reads the images).
 */
public final class ConvBnRelu implements Layer {
    private final Backend backend;
    private final Conv2d conv;
    private final BatchNorm2d norm;
    private final Activations owned;
    private final Buffer convOut, convStats, output, dConvOut;
    private final int outSize, statsSize;

    public ConvBnRelu(Backend backend, ConvShape largest, String prefix, String normPrefix, Parameters params,
                      NamedTensors state) {
        this.backend = backend;
        int pixels = largest.outHeight() * largest.outWidth();
        this.conv = new Conv2d(backend, largest, params.get(prefix + ".weight"));
        this.norm = new BatchNorm2d(backend, largest.outChannels(), pixels, params, state, normPrefix);
        this.owned = new Activations(backend, largest.batch());
        this.outSize = largest.outChannels() * pixels;
        this.statsSize = 2 * largest.outChannels();
        this.convOut = owned.allocate(outSize);
        this.convStats = owned.allocate(statsSize);
        this.output = owned.allocate(outSize);
        this.dConvOut = owned.allocate(outSize);
    }

    public void initialize(SplittableRandom random) {
        conv.initialize(random);
        norm.initialize();
    }

    @Override
    public Buffer forward(Buffer x, int batch, boolean training) {
        Buffer c = owned.rows(convOut, outSize, batch), y = owned.rows(output, outSize, batch);
        // Only training's batch statistics need the convolution's stats.
        Buffer stats = training ? owned.rows(convStats, statsSize, batch) : null;
        conv.forward(x, c, stats, batch);
        norm.forwardRelu(c, stats, null, y, batch, training);
        return y;
    }

    /** Adds into the parameter gradients; returns null: the stem's input needs no gradient. */
    @Override
    public Buffer backward(Buffer x, Buffer dy, int batch) {
        Buffer dc = owned.rows(dConvOut, outSize, batch);
        norm.backwardRelu(owned.rows(convOut, outSize, batch), owned.rows(output, outSize, batch), dy, dc, batch);
        conv.backward(x, dc, null, batch);
        return null;
    }

    @Override
    public void close() {
        owned.close();
        norm.close();
    }
}
