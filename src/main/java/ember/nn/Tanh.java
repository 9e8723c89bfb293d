package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;

/** y = tanh(x); the backward pass needs only y. */
public final class Tanh implements Layer {
    private final Backend backend;
    private final int width;

    public Tanh(Backend backend, int width) {
        this.backend = backend;
        this.width = width;
    }

    @Override
    public int inputWidth() {
        return width;
    }

    @Override
    public int outputWidth() {
        return width;
    }

    @Override
    public void forward(Buffer x, Buffer y, int batch) {
        backend.tanh(x, y);
    }

    @Override
    public void backward(Buffer x, Buffer y, Buffer dy, Buffer dx, int batch) {
        if (dx != null) {
            backend.tanhBackward(y, dy, dx);
        }
    }
}
