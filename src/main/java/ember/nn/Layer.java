package ember.nn;

import ember.backend.Buffer;

/**
 * A layer over a batch of rows. The caller owns the activations and passes them in, so a
 * layer keeps no hidden per-step state. {@code forward} overwrites y. {@code backward}
 * overwrites dx (skipped when dx is null, e.g. for the first layer) and adds into the
 * layer's parameter gradients.
 */
public interface Layer {
    /** Features per input row. */
    int inputWidth();

    /** Features per output row. */
    int outputWidth();

    void forward(Buffer x, Buffer y, int batch);

    void backward(Buffer x, Buffer y, Buffer dy, Buffer dx, int batch);
}
