package ember.exp1;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.RecordedStep;
import ember.nn.Mlp;
import ember.nn.MseLoss;
import ember.nn.Sgd;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Trains the exp1 MLP on one backend, {@link #LOSS_READ_INTERVAL} steps at a time. Samples stay
 * on the device; a chunk starts with one upload of the random indices of all its steps, and
 * step s of a chunk always reads its indices and writes its loss at the same place of
 * device-side buffers, so a chunk is the same ops on the same buffers every time (what a
 * captured chunk needs). The losses are read once per chunk, so the host never waits on a
 * step, yet a divergence is pinned to the exact step where the loss stopped being finite.
 */
public final class Exp1Trainer {
    static final int LOSS_READ_INTERVAL = 500;

    /** What a run produced. {@code divergedAt} is the 1-based step whose loss was NaN/Inf, or 0. */
    public record Result(Exp1Config config, float[] losses, int divergedAt, double trainMse, double gridMse,
                         float[] gridPrediction, Map<String, float[]> weights, double seconds, String backend) {
        public boolean diverged() {
            return divergedAt > 0;
        }
    }

    private Exp1Trainer() {}

    /** Runs {@code config.epochs()} steps; {@code onSteps} hears the number of steps done, now and then. */
    public static Result train(Backend backend, Exp1Config config, Exp1Data data, IntConsumer onSteps) {
        long start = System.nanoTime();
        int batch = config.batch();
        int epochs = config.epochs();
        SplittableRandom random = new SplittableRandom(config.seed() ^ 0x5DEECE66DL);
        float[] losses = new float[epochs];
        float[] indices = new float[LOSS_READ_INTERVAL * batch];
        int divergedAt = 0;
        try (Mlp model = new Mlp(backend, config.shape(), Math.max(batch, Exp1Data.GRID_POINTS));
             Sgd sgd = new Sgd(backend, model.parameters(), config.momentum(), 0f);
             Buffer xs = upload(backend, data.sampleX());
             Buffer ys = upload(backend, data.sampleY());
             Buffer chunkIndices = backend.allocate(LOSS_READ_INTERVAL * batch);
             Buffer x = backend.allocate(batch);
             Buffer y = backend.allocate(batch);
             Buffer lossHistory = backend.allocate(LOSS_READ_INTERVAL)) {
            model.initialize(config.seed());
            MseLoss loss = new MseLoss(backend);
            sgd.setLearningRate(config.lr());
            Buffer dPrediction = model.outputGradient(batch);
            float[] chunk = new float[LOSS_READ_INTERVAL];
            // A chunk of steps is one recorded step (a CUDA graph replays it); the last chunk may be shorter.
            Map<Integer, RecordedStep> chunks = new HashMap<>();
            try {
                for (int done = 0; done < epochs && divergedAt == 0; ) {
                    int steps = Math.min(LOSS_READ_INTERVAL, epochs - done);
                    for (int i = 0; i < steps * batch; i++) {
                        indices[i] = random.nextInt(data.sampleX().length);
                    }
                    backend.write(chunkIndices.slice(0, steps * batch), indices);
                    chunks.computeIfAbsent(steps, n -> backend.record(() -> {
                        for (int s = 0; s < n; s++) {
                            Buffer batchIndex = chunkIndices.slice(s * batch, batch);
                            backend.gatherRows(xs, batchIndex, x, 1);
                            backend.gatherRows(ys, batchIndex, y, 1);
                            model.parameters().zeroGrads();
                            Buffer prediction = model.forward(x, batch);
                            loss.forward(prediction, y, lossHistory.slice(s, 1));
                            loss.backward(prediction, y, dPrediction);
                            model.backward(dPrediction, batch);
                            sgd.step();
                        }
                    })).run();
                    backend.read(lossHistory, chunk);
                    for (int s = 0; s < steps; s++) {
                        losses[done + s] = chunk[s];
                        if (divergedAt == 0 && !Float.isFinite(chunk[s])) {
                            divergedAt = done + s + 1;
                        }
                    }
                    done += steps;
                    onSteps.accept(done);
                }
            } finally {
                chunks.values().forEach(RecordedStep::close);
            }
            if (divergedAt > 0) {
                float[] seen = Arrays.copyOf(losses, divergedAt);
                return new Result(config, seen, divergedAt, Double.NaN, Double.NaN, null, Map.of(),
                        seconds(start), backend.name());
            }
            float[] trainPrediction = Exp1Model.predict(backend, model, data.sampleX());
            float[] gridPrediction = Exp1Model.predict(backend, model, data.gridX());
            return new Result(config, losses, 0, Exp1Data.mse(trainPrediction, data.sampleY()),
                    Exp1Data.mse(gridPrediction, data.gridY()), gridPrediction, model.parameters().toHost(),
                    seconds(start), backend.name());
        }
    }

    private static Buffer upload(Backend backend, float[] values) {
        Buffer buffer = backend.allocate(values.length);
        backend.write(buffer, values);
        return buffer;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
