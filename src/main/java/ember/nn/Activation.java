package ember.nn;

import ember.backend.Backend;

/** The nonlinearities an MLP can use between its Linear layers. */
public enum Activation {
    TANH, RELU;

    /** A layer applying this activation to rows of {@code width}, for up to maxBatch rows. */
    public Layer layer(Backend backend, int width, int maxBatch) {
        return switch (this) {
            case TANH -> new Tanh(backend, width, maxBatch);
            case RELU -> new Relu(backend, width, maxBatch);
        };
    }
}
