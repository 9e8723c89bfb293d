package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ChannelShape;

/** The mean of each plane: [batch, channels, pixels] to [batch, channels]. */
public final class GlobalAvgPool implements Layer {
    private final Backend backend;
    private final int channels, pixels;
    private final Activations owned;
    private final Buffer y, dx;

    public GlobalAvgPool(Backend backend, int channels, int pixels, int maxBatch) {
        this.backend = backend;
        this.channels = channels;
        this.pixels = pixels;
        this.owned = new Activations(backend, maxBatch);
        this.y = owned.allocate(channels);
        this.dx = owned.allocate(channels * pixels);
    }

    @Override
    public Buffer forward(Buffer x, int batch, boolean training) {
        Buffer out = owned.rows(y, channels, batch);
        backend.globalAvgPool(new ChannelShape(batch, channels, pixels), x, out);
        return out;
    }

    @Override
    public Buffer backward(Buffer x, Buffer dy, int batch) {
        Buffer d = owned.rows(dx, channels * pixels, batch);
        backend.globalAvgPoolBackward(new ChannelShape(batch, channels, pixels), dy, d);
        return d;
    }

    @Override
    public void close() {
        owned.close();
    }
}
