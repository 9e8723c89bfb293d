package ember.backend.parity;

import ember.backend.Backend;
import ember.backend.reference.ReferenceBackend;
import ember.data.BatchLoader;
import ember.data.ImageSet;
import ember.exp2.Exp2Trainer;
import ember.nn.ResNet;
import java.util.Map;

/**
 * Three training steps of a small ResNet on generated images, on a backend and on the reference:
 * every op and fusion in the order a step runs them, through {@link Exp2Trainer} itself, so a
 * backend that records steps (CUDA graphs) replays its record in steps 2 and 3.
 */
public final class TrainingParity {
    private static final ResNet.Config SMALL = new ResNet.Config(new int[] {4, 8}, 1, 32, 3, 10);
    private static final int BATCH = 8;

    private TrainingParity() {}

    /** The mean training loss, then every weight after the three steps, both within {@link Tolerances#TRAINING_F32}. */
    public static Comparison threeSteps(Backend backend) {
        ImageSet images = ImageSet.random("train", 3 * BATCH, 4);
        float[] expected, actual;
        double expectedLoss, actualLoss;
        try (ReferenceBackend reference = new ReferenceBackend();
             Exp2Trainer onReference = new Exp2Trainer(reference, SMALL, BATCH, 1);
             Exp2Trainer onBackend = new Exp2Trainer(backend, SMALL, BATCH, 1);
             BatchLoader loader = new BatchLoader(images, BatchLoader.Options.training(BATCH, 1))) {
            expectedLoss = onReference.trainEpoch(1, 0.05f, loader, steps -> {}).loss();
            actualLoss = onBackend.trainEpoch(1, 0.05f, loader, steps -> {}).loss();
            expected = flatten(onReference.model().parameters().toHost());
            actual = flatten(onBackend.model().parameters().toHost());
        }
        float[] expectedAll = new float[expected.length + 1], actualAll = new float[actual.length + 1];
        expectedAll[0] = (float) expectedLoss;
        actualAll[0] = (float) actualLoss;
        System.arraycopy(expected, 0, expectedAll, 1, expected.length);
        System.arraycopy(actual, 0, actualAll, 1, actual.length);
        return Comparison.of(expectedAll, actualAll, Tolerances.TRAINING_F32);
    }

    private static float[] flatten(Map<String, float[]> tensors) {
        int n = tensors.values().stream().mapToInt(t -> t.length).sum(), at = 0;
        float[] all = new float[n];
        for (float[] t : tensors.values()) {
            System.arraycopy(t, 0, all, at, t.length);
            at += t.length;
        }
        return all;
    }
}
