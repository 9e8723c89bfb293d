package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;

/**
 * torch.optim.SGD over a model's flat parameters: weight decay is added to the gradient,
 * then momentum (no dampening, no Nesterov), then the step: one backend op per update. The
 * learning rate lives in a device buffer, written when it changes (once per epoch), so every
 * step is the same op on the same buffers.
 */
public final class Sgd implements AutoCloseable {
    private final Backend backend;
    private final Parameters parameters;
    private final float momentum;
    private final float weightDecay;
    private final Buffer velocity;
    private final Buffer learningRate;
    private boolean rateSet;

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
        this.learningRate = backend.allocate(1);
    }

    /** The rate the following steps use. */
    public void setLearningRate(float lr) {
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw new IllegalArgumentException("the learning rate must be a positive number, got " + lr);
        }
        backend.write(learningRate, new float[] {lr});
        rateSet = true;
    }

    /** One update at the rate last set. */
    public void step() {
        if (!rateSet) {
            throw new IllegalStateException("Sgd.step before setLearningRate");
        }
        backend.sgdStep(parameters.values(), parameters.grads(), velocity, learningRate, momentum, weightDecay);
    }

    /** A host copy of the momentum buffer (empty without momentum), for checkpoints. */
    public float[] momentumToHost() {
        float[] host = new float[velocity == null ? 0 : velocity.length()];
        if (velocity != null) {
            backend.read(velocity, host);
        }
        return host;
    }

    /** Restores the momentum buffer from a checkpoint; its length must match the parameters. */
    public void momentumFromHost(float[] host) {
        int expected = velocity == null ? 0 : velocity.length();
        if (host.length != expected) {
            throw new IllegalArgumentException("momentum buffer holds " + host.length + " values, the model needs " + expected);
        }
        if (velocity != null) {
            backend.write(velocity, host);
        }
    }

    @Override
    public void close() {
        learningRate.close();
        if (velocity != null) {
            velocity.close();
        }
    }
}
