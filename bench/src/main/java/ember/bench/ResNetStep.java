package ember.bench;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.nn.CrossEntropyLoss;
import ember.nn.ResNet;
import ember.nn.Sgd;
import java.util.SplittableRandom;

/**
 * One ResNet20 training step (forward, cross-entropy, backward, SGD) on fixed random images
 * and labels: the compute part of an exp2 step, without the loader. ~31.5 GFLOP per step of
 * 128 counted as direct convolution.
 */
final class ResNetStep implements AutoCloseable {
    private final ResNet model;
    private final Sgd sgd;
    private final CrossEntropyLoss loss;
    private final Buffer images, labels, dLogits, stats;
    private final int batch;

    ResNetStep(Backend backend, int batch) {
        this.batch = batch;
        model = new ResNet(backend, ResNet.Config.resnet20(), batch);
        model.initialize(1);
        sgd = new Sgd(backend, model.parameters(), 0.9f, 5e-4f);
        sgd.setLearningRate(0.01f);
        loss = new CrossEntropyLoss(backend, 10);
        SplittableRandom random = new SplittableRandom(1);
        images = RandomBuffers.uniform(backend, batch * 3 * 32 * 32, 2, random);
        float[] y = new float[batch];
        for (int i = 0; i < batch; i++) {
            y[i] = random.nextInt(10);
        }
        labels = backend.allocate(batch);
        backend.write(labels, y);
        dLogits = backend.allocate(batch * 10);
        stats = backend.allocate(2);
    }

    /** Runs one step; returns the loss statistics buffer (for JMH to consume). */
    Buffer run() {
        Buffer logits = model.forward(images, batch, true);
        loss.forwardBackward(logits, labels, dLogits, stats, batch);
        model.parameters().zeroGrads();
        model.backward(images, dLogits, batch);
        sgd.step();
        return stats;
    }

    @Override
    public void close() {
        for (Buffer b : new Buffer[] {images, labels, dLogits, stats}) {
            b.close();
        }
        sgd.close();
        model.close();
    }
}
