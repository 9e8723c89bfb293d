package ember.nn;

import ember.backend.Backend;

/** The nonlinearities an MLP can use between its Linear layers. */
public enum Activation {
    TANH, RELU;

    /** A layer applying this activation to rows of {@code width}. */
    public Layer layer(Backend backend, int width) {
        return switch (this) {
            case TANH -> new Tanh(backend, width);
            case RELU -> new Relu(backend, width);
        };
    }
}
