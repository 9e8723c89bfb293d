package ember.exp2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.backend.cpu.CpuBackend;
import ember.backend.reference.ReferenceBackend;
import ember.data.BatchLoader;
import ember.data.ImageSet;
import ember.nn.ResNet;
import org.junit.jupiter.api.Test;

/**
 * The exp2 training step on a small ResNet over generated images: allocation-free, loud on
 * divergence, and seeing the images as the reference backend does.
 */
class Exp2TrainerTest {
    private static final ResNet.Config SMALL = new ResNet.Config(new int[] {4, 8}, 1, 32, 3, 10);
    private static final int BATCH = 8;

    @Test
    void stepsAllocateNoBuffers() {
        ImageSet images = ImageSet.random("train", 6 * BATCH, 1);
        try (CpuBackend backend = CpuBackend.javaOnly(2);
             Exp2Trainer trainer = new Exp2Trainer(backend, SMALL, BATCH, 1);
             BatchLoader loader = new BatchLoader(images, BatchLoader.Options.training(BATCH, 1))) {
            trainer.trainEpoch(1, 0.05f, loader, steps -> {});
            long afterFirstEpoch = backend.allocations();
            Exp2Trainer.TrainResult second = trainer.trainEpoch(2, 0.05f, loader, steps -> {});
            assertEquals(6, second.steps());
            assertEquals(afterFirstEpoch, backend.allocations(), "a training epoch allocated buffers");
            assertTrue(Double.isFinite(second.loss()) && second.accuracy() >= 0 && second.accuracy() <= 1);
        }
    }

    @Test
    void aDivergingLossStopsTrainingAndSaysWhere() {
        ImageSet images = ImageSet.random("train", 4 * BATCH, 2);
        try (CpuBackend backend = CpuBackend.javaOnly(2);
             Exp2Trainer trainer = new Exp2Trainer(backend, SMALL, BATCH, 1);
             BatchLoader loader = new BatchLoader(images, BatchLoader.Options.training(BATCH, 1))) {
            Exp2Trainer.DivergedException e = assertThrows(Exp2Trainer.DivergedException.class,
                    () -> trainer.trainEpoch(1, 1e30f, loader, steps -> {}));
            assertTrue(e.getMessage().matches("training diverged in epoch 1 by step \\d+: the loss became (NaN|Infinity) "
                    + "with learning rate 1\\.0E30.*"), e.getMessage());
        }
    }

    @Test
    void theCpuBackendSeesTheImagesAsTheReferenceDoes() {
        // The CPU backend stores 32×32 planes by phase; an image uploaded in row order would
        // still train, on scrambled pixels, so compare what both backends make of the same images.
        ImageSet images = ImageSet.random("test", 2 * BATCH, 3);
        try (CpuBackend cpu = CpuBackend.javaOnly(2); ReferenceBackend reference = new ReferenceBackend();
             Exp2Trainer onCpu = new Exp2Trainer(cpu, SMALL, BATCH, 1);
             Exp2Trainer onReference = new Exp2Trainer(reference, SMALL, BATCH, 1);
             BatchLoader loader = new BatchLoader(images, BatchLoader.Options.evaluation(BATCH))) {
            double expected = onReference.evaluate(loader).loss(), actual = onCpu.evaluate(loader).loss();
            assertEquals(expected, actual, 1e-4 * Math.abs(expected), "mean test loss, cpu vs reference");
        }
    }
}
