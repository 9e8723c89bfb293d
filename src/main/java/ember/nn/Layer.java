package ember.nn;

import ember.backend.Buffer;

/**
 * A layer over a batch of up to the largest batch it was built for. It owns its output and the
 * gradient for its input, allocated when it is built, so a step allocates nothing and every
 * buffer keeps its address from the first step to the last (what a captured step needs).
 * {@code forward} overwrites the output and returns a view of it for {@code batch}; {@code
 * backward}, of the last training forward on the same x, overwrites the input gradient and
 * returns a view of it (null when the layer was built without one: a network's input needs
 * none) and adds into the layer's parameter gradients. The views stay valid until the next call.
 */
public interface Layer extends AutoCloseable {

    Buffer forward(Buffer x, int batch, boolean training);

    Buffer backward(Buffer x, Buffer dy, int batch);

    @Override
    void close();
}
