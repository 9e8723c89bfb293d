package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;

/** y = max(x, 0); the backward pass masks by x > 0. */
public final class Relu implements Layer {
    private final Backend backend;
    private final int width;

    public Relu(Backend backend, int width) {
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
        backend.relu(x, y);
    }

    @Override
    public void backward(Buffer x, Buffer y, Buffer dy, Buffer dx, int batch) {
        if (dx != null) {
            backend.reluBackward(x, dy, dx);
        }
    }
}
