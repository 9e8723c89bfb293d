package ember.exp2;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.data.BatchLoader;
import ember.data.Cifar10;
import ember.nn.CrossEntropyLoss;
import ember.nn.ResNet;
import ember.nn.Sgd;
import java.util.function.IntConsumer;

/**
 * The exp2 training step and evaluation on one backend: ResNet20, softmax cross-entropy,
 * SGD with momentum 0.9 and weight decay 5e-4 (the reference's recipe). Each step's loss and
 * correct count go to a device-side history read every {@link #STATS_READ_INTERVAL} steps, so
 * the host does not wait on every step yet stops within a few steps of a diverging loss.
 */
public final class Exp2Trainer implements AutoCloseable {
    public static final float MOMENTUM = 0.9f;
    public static final float WEIGHT_DECAY = 5e-4f;
    static final int STATS_READ_INTERVAL = 25;

    private final Backend backend;
    private final ResNet model;
    private final Sgd sgd;
    private final CrossEntropyLoss loss;
    private final Buffer images, labels, dLogits, stats;
    private final float[] hostStats = new float[2 * STATS_READ_INTERVAL];

    /** The test set's loss and accuracy. */
    public record Evaluation(double loss, double accuracy, int images, double seconds) {}

    /** Thrown when a step's loss is NaN or infinite; the model is left as it was at that step. */
    public static final class DivergedException extends RuntimeException {
        public DivergedException(int epoch, int step, float lr, float loss) {
            super("training diverged in epoch " + epoch + " at step " + step + ": the loss became " + loss
                    + " with learning rate " + lr + "; lower it (e.g. --schedule " + lr / 10 + "x...)");
        }
    }

    public Exp2Trainer(Backend backend, ResNet.Config config, int batch, long seed) {
        this.backend = backend;
        this.model = new ResNet(backend, config, batch);
        this.sgd = new Sgd(backend, model.parameters(), MOMENTUM, WEIGHT_DECAY);
        this.loss = new CrossEntropyLoss(backend, config.classes());
        this.images = backend.allocate(batch * config.inputPerImage());
        this.labels = backend.allocate(batch);
        this.dLogits = backend.allocate(batch * config.classes());
        this.stats = backend.allocate(2 * STATS_READ_INTERVAL);
        model.initialize(seed);
    }

    public ResNet model() {
        return model;
    }

    public Sgd optimizer() {
        return sgd;
    }

    /**
     * One epoch's training numbers: loss and accuracy averaged over every step, and where the
     * time went (waiting for the loader and uploading, forward, backward, update).
     */
    public record TrainResult(int steps, int images, double loss, double accuracy, double seconds,
                              double loaderSeconds, double forwardSeconds, double backwardSeconds,
                              double updateSeconds) {}

    /** One pass over the loader's epoch at learning rate {@code lr}; {@code onStep} hears steps done. */
    public TrainResult trainEpoch(int epoch, float lr, BatchLoader loader, IntConsumer onStep) {
        long start = System.nanoTime();
        long waiting = 0, forward = 0, backward = 0, update = 0;
        double lossSum = 0;
        long correct = 0, seen = 0;
        int steps = 0;
        int[] pendingSizes = new int[STATS_READ_INTERVAL];
        try (BatchLoader.Epoch batches = loader.epoch(epoch)) {
            int pending = 0;
            while (batches.hasNext()) {
                long t0 = System.nanoTime();
                BatchLoader.Batch b = batches.next();
                int n = b.size();
                upload(b);
                long t1 = System.nanoTime();
                Buffer logits = model.forward(images, n, true);
                long t2 = System.nanoTime();
                loss.forwardBackward(logits, labels, dLogits, stats.slice(2 * pending, 2), n);
                model.parameters().zeroGrads();
                model.backward(images, dLogits, n);
                long t3 = System.nanoTime();
                sgd.step(lr);
                long t4 = System.nanoTime();
                waiting += t1 - t0;
                forward += t2 - t1;
                backward += t3 - t2;
                update += t4 - t3;
                steps++;
                seen += n;
                pendingSizes[pending++] = n;
                if (pending == STATS_READ_INTERVAL || !batches.hasNext()) {
                    backend.read(stats, hostStats);
                    for (int i = 0; i < pending; i++) {
                        float stepLoss = hostStats[2 * i];
                        if (!Float.isFinite(stepLoss)) {
                            throw new DivergedException(epoch, steps - pending + i + 1, lr, stepLoss);
                        }
                        lossSum += stepLoss * (double) pendingSizes[i];
                        correct += (long) hostStats[2 * i + 1];
                    }
                    pending = 0;
                }
                onStep.accept(steps);
            }
        }
        return new TrainResult(steps, (int) seen, lossSum / seen, correct / (double) seen,
                (System.nanoTime() - start) / 1e9, waiting / 1e9, forward / 1e9, backward / 1e9, update / 1e9);
    }

    /** Puts a batch's images (in the backend's pixel order) and labels where the model reads them. */
    private void upload(BatchLoader.Batch b) {
        int n = b.size();
        backend.writeActivations(images.slice(0, n * Cifar10.IMAGE_BYTES), b.images(), Cifar10.HEIGHT, Cifar10.WIDTH);
        backend.write(labels.slice(0, n), b.labels());
    }

    /** Loss and accuracy over every image the loader yields, with batch norm in inference mode. */
    public Evaluation evaluate(BatchLoader loader) {
        long start = System.nanoTime();
        double lossSum = 0;
        long correct = 0, seen = 0;
        float[] one = new float[2];
        try (BatchLoader.Epoch batches = loader.epoch(0)) {
            while (batches.hasNext()) {
                BatchLoader.Batch b = batches.next();
                int n = b.size();
                upload(b);
                Buffer logits = model.forward(images, n, false);
                loss.forwardBackward(logits, labels, dLogits, stats.slice(0, 2), n);
                backend.read(stats.slice(0, 2), one);
                lossSum += one[0] * (double) n;
                correct += (long) one[1];
                seen += n;
            }
        }
        return new Evaluation(lossSum / seen, correct / (double) seen, (int) seen, (System.nanoTime() - start) / 1e9);
    }

    @Override
    public void close() {
        images.close();
        labels.close();
        dLogits.close();
        stats.close();
        sgd.close();
        model.close();
    }
}
