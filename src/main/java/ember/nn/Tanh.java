package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;

/** y = tanh(x); the backward pass needs only y. */
public final class Tanh implements Layer {
    private final Backend backend;
    private final int width;
    private final Activations owned;
    private final Buffer y, dx;

    public Tanh(Backend backend, int width, int maxBatch) {
        this.backend = backend;
        this.width = width;
        this.owned = new Activations(backend, maxBatch);
        this.y = owned.allocate(width);
        this.dx = owned.allocate(width);
    }

    @Override
    public Buffer forward(Buffer x, int batch, boolean training) {
        Buffer out = owned.rows(y, width, batch);
        backend.tanh(x, out);
        return out;
    }

    @Override
    public Buffer backward(Buffer x, Buffer dy, int batch) {
        Buffer d = owned.rows(dx, width, batch);
        backend.tanhBackward(owned.rows(y, width, batch), dy, d);
        return d;
    }

    @Override
    public void close() {
        owned.close();
    }
}
