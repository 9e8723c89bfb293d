package ember.exp2;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.PhaseTimer;
import ember.backend.RecordedStep;
import ember.data.BatchLoader;
import ember.data.Cifar10;
import ember.nn.CrossEntropyLoss;
import ember.nn.ResNet;
import ember.nn.Sgd;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The exp2 training step and evaluation on one backend: ResNet20, softmax cross-entropy,
 * SGD with momentum 0.9 and weight decay 5e-4 (the reference's recipe). Every step is the same
 * ops on the same buffers: the images and labels go to buffers made for the largest batch, the
 * learning rate is a device value set once per epoch, and the loss and correct count add into
 * two device-side sums, read every {@link #STATS_READ_INTERVAL} steps for the progress check,
 * so the host does not wait on every step yet stops within a few steps of a diverging loss.
 * So the step is one {@link RecordedStep}: a backend that records its work (CUDA graphs) replays it.
 */
public final class Exp2Trainer implements AutoCloseable {
    public static final float MOMENTUM = 0.9f;
    public static final float WEIGHT_DECAY = 5e-4f;
    static final int STATS_READ_INTERVAL = 25;
    /**
     * A step's phases, as the epoch's timer splits them; REPLAYED is a whole step replayed from a
     * record ({@link RecordedStep}), whose forward, backward and update cannot be told apart.
     */
    private static final int LOADER = 0, FORWARD = 1, BACKWARD = 2, UPDATE = 3, REPLAYED = 4, PHASES = 5;

    private final Backend backend;
    private final ResNet model;
    private final Sgd sgd;
    private final CrossEntropyLoss loss;
    private final Buffer images, labels, dLogits, sums;
    private final float[] hostSums = new float[2];
    /** The training step, recorded on first use; test steps by batch size (the last batch is smaller). */
    private RecordedStep trainStep;
    private int trainStepSize;
    private final Map<Integer, RecordedStep> testSteps = new HashMap<>();
    /** The running epoch's timer, which the training step's laps go to. */
    private PhaseTimer timer;

    /** The test set's loss and accuracy. */
    public record Evaluation(double loss, double accuracy, int images, double seconds) {}

    /** Thrown when a step's loss is NaN or infinite; the model is left as it was at that step. */
    public static final class DivergedException extends RuntimeException {
        public DivergedException(int epoch, int step, float lr, float loss) {
            super("training diverged in epoch " + epoch + " by step " + step + ": the loss became " + loss
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
        this.sums = backend.allocate(2);
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
     * time went (waiting for the loader and uploading, forward, backward, update), as the
     * backend's {@link PhaseTimer} measures it: on an asynchronous device, "loader" is the
     * device's time from one step's update to the next step's images, uploading or idle.
     */
    public record TrainResult(int steps, int images, double loss, double accuracy, double seconds,
                              double loaderSeconds, double forwardSeconds, double backwardSeconds,
                              double updateSeconds, double replayedSeconds) {}

    /** One pass over the loader's epoch at learning rate {@code lr}; {@code onStep} hears steps done. */
    public TrainResult trainEpoch(int epoch, float lr, BatchLoader loader, IntConsumer onStep) {
        long start = System.nanoTime();
        int steps = 0, seen = 0;
        sgd.setLearningRate(lr);
        backend.fill(sums, 0f);
        double[] phases;
        try (BatchLoader.Epoch batches = loader.epoch(epoch); PhaseTimer epochTimer = backend.phaseTimer(PHASES)) {
            timer = epochTimer;
            while (batches.hasNext()) {
                BatchLoader.Batch b = batches.next();
                int n = b.size();
                upload(b);
                timer.lap(LOADER);
                RecordedStep step = trainStep(n);
                step.run();
                if (step.replayed()) {
                    timer.lap(REPLAYED);
                }
                steps++;
                seen += n;
                if (steps % STATS_READ_INTERVAL == 0 || !batches.hasNext()) {
                    backend.read(sums, hostSums);
                    if (!Float.isFinite(hostSums[0])) {
                        throw new DivergedException(epoch, steps, lr, hostSums[0]);
                    }
                }
                onStep.accept(steps);
            }
            phases = timer.totals();
        } finally {
            timer = null;
        }
        return new TrainResult(steps, seen, hostSums[0] / (double) seen, hostSums[1] / (double) seen,
                (System.nanoTime() - start) / 1e9, phases[LOADER], phases[FORWARD], phases[BACKWARD], phases[UPDATE],
                phases[REPLAYED]);
    }

    /** Forward, loss, backward and update of the n images in place, lapping the epoch's timer as it goes. */
    private RecordedStep trainStep(int n) {
        if (trainStep == null) {
            // Training drops the partial batch, so every step has the first one's size.
            int size = n;
            trainStep = backend.record(() -> {
                Buffer logits = model.forward(images, size, true);
                timer.lap(FORWARD);
                loss.forwardBackward(logits, labels, dLogits, sums, size);
                model.parameters().zeroGrads();
                model.backward(images, dLogits, size);
                timer.lap(BACKWARD);
                sgd.step();
                timer.lap(UPDATE);
            });
            trainStepSize = size;
        }
        if (n != trainStepSize) {
            throw new IllegalStateException("training steps must all have " + trainStepSize + " images, not " + n);
        }
        return trainStep;
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
        int seen = 0;
        backend.fill(sums, 0f);
        try (BatchLoader.Epoch batches = loader.epoch(0)) {
            while (batches.hasNext()) {
                BatchLoader.Batch b = batches.next();
                int n = b.size();
                upload(b);
                testSteps.computeIfAbsent(n, size -> backend.record(() ->
                        loss.forwardBackward(model.forward(images, size, false), labels, dLogits, sums, size))).run();
                seen += n;
            }
        }
        backend.read(sums, hostSums);
        return new Evaluation(hostSums[0] / (double) seen, hostSums[1] / (double) seen, seen,
                (System.nanoTime() - start) / 1e9);
    }

    @Override
    public void close() {
        if (trainStep != null) {
            trainStep.close();
        }
        testSteps.values().forEach(RecordedStep::close);
        images.close();
        labels.close();
        dLogits.close();
        sums.close();
        sgd.close();
        model.close();
    }
}
