package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;

/**
 * torch.optim.SGD over a model's flat parameters: weight decay is added to the gradient,
 * then momentum (no dampening, no Nesterov), then the step: one backend op per update.
 */
public final class Sgd implements AutoCloseable {
    private final Backend backend;
    private final Parameters parameters;
    private final float momentum;
    private final float weightDecay;
    private final Buffer velocity;

    public Sgd(Backend backend, Parameters parameters, float momentum, float weightDecay) {
        if (!(momentum >= 0 && momentum < 1) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("SGD needs 0 <= momentum < 1 and weight decay >= 0, got "
                    + momentum + " and " + weightDecay);
        }
        this.backend = backend;
        this.parameters = parameters;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.velocity = momentum != 0 ? backend.allocate(parameters.count()) : null;
    }

    public void step(float lr) {
        backend.sgdStep(parameters.values(), parameters.grads(), velocity, lr, momentum, weightDecay);
    }

    /** The momentum buffer (null without momentum), for checkpoints. */
    public Buffer velocity() {
        return velocity;
    }

    @Override
    public void close() {
        if (velocity != null) {
            velocity.close();
        }
    }
}
