package ember.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A broken hand-over between workers and consumer shows as a hang: the timeout turns it into a failure. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BatchLoaderTest {
    private final ImageSet set = ImageSet.random("train", 300, 11);

    /** Copies of every batch of one epoch: images, labels, samples (the loader reuses its buffers). */
    private static List<float[]> images(BatchLoader loader, int epoch, List<int[]> samples, List<float[]> labels) {
        List<float[]> out = new ArrayList<>();
        try (BatchLoader.Epoch batches = loader.epoch(epoch)) {
            while (batches.hasNext()) {
                BatchLoader.Batch b = batches.next();
                assertEquals(out.size(), b.index());
                out.add(Arrays.copyOf(b.images(), b.size() * Cifar10.IMAGE_BYTES));
                samples.add(Arrays.copyOf(b.samples(), b.size()));
                labels.add(Arrays.copyOf(b.labels(), b.size()));
            }
            assertThrows(NoSuchElementException.class, batches::next);
            assertTrue(batches.waitSeconds() >= 0);
            assertTrue(batches.prepareSeconds() > 0);
        }
        return out;
    }

    @Test
    void evaluationYieldsTheSetInOrderNormalisedWithAPartialLastBatch() {
        try (BatchLoader loader = new BatchLoader(set, BatchLoader.Options.evaluation(128))) {
            assertEquals(3, loader.batchesPerEpoch());
            List<int[]> samples = new ArrayList<>();
            List<float[]> labels = new ArrayList<>();
            List<float[]> images = images(loader, 1, samples, labels);
            assertEquals(List.of(128, 128, 44), images.stream().map(a -> a.length / Cifar10.IMAGE_BYTES).toList());
            float[] expected = new float[Cifar10.IMAGE_BYTES];
            int i = 0;
            for (int b = 0; b < images.size(); b++) {
                for (int j = 0; j < samples.get(b).length; j++, i++) {
                    assertEquals(i, samples.get(b)[j]);
                    assertEquals(set.labels()[i], labels.get(b)[j]);
                    Augment.normalize(set.pixels(), i, expected, 0);
                    assertArrayEquals(expected, Arrays.copyOfRange(images.get(b), j * 3072, (j + 1) * 3072), "image " + i);
                }
            }
            assertEquals(set.size(), i);
        }
    }

    @Test
    void everyTrainingImageOnceEachEpochInANewOrder() {
        var options = BatchLoader.Options.training(32, 5).withDropLast(false);
        try (BatchLoader loader = new BatchLoader(set, options)) {
            int[] previous = null;
            for (int epoch = 1; epoch <= 3; epoch++) {
                List<int[]> samples = new ArrayList<>();
                images(loader, epoch, samples, new ArrayList<>());
                int[] seen = new int[set.size()];
                int[] order = samples.stream().flatMapToInt(Arrays::stream).toArray();
                for (int s : order) {
                    seen[s]++;
                }
                for (int s = 0; s < seen.length; s++) {
                    assertEquals(1, seen[s], "epoch " + epoch + ": image " + s + " seen " + seen[s] + " times");
                }
                assertArrayEquals(loader.order(epoch), order);
                assertFalse(Arrays.equals(previous, order), "epoch " + epoch + " repeats the previous order");
                previous = order;
            }
        }
    }

    @Test
    void dropLastGivesOnlyFullBatchesOfDistinctImages() {
        try (BatchLoader loader = new BatchLoader(set, BatchLoader.Options.training(128, 5))) {
            assertEquals(2, loader.batchesPerEpoch()); // 300 // 128, as the reference's len // batch
            List<int[]> samples = new ArrayList<>();
            images(loader, 1, samples, new ArrayList<>());
            assertEquals(List.of(128, 128), samples.stream().map(a -> a.length).toList());
            assertEquals(256, samples.stream().flatMapToInt(Arrays::stream).distinct().count());
        }
    }

    @Test
    void batchesAreTheAugmentationOfTheirSamplesAtTheirPositions() {
        long seed = 77;
        try (BatchLoader loader = new BatchLoader(set, BatchLoader.Options.training(50, seed))) {
            List<int[]> samples = new ArrayList<>();
            List<float[]> labels = new ArrayList<>();
            List<float[]> images = images(loader, 4, samples, labels);
            float[] expected = new float[Cifar10.IMAGE_BYTES];
            for (int b = 0; b < images.size(); b++) {
                for (int j = 0; j < 50; j++) {
                    int sample = samples.get(b)[j];
                    Augment.cropFlipNormalize(set.pixels(), sample, Augment.draw(seed, 4, b * 50L + j), expected, 0);
                    assertArrayEquals(expected, Arrays.copyOfRange(images.get(b), j * 3072, (j + 1) * 3072));
                    assertEquals((float) set.labels()[sample], labels.get(b)[j]);
                }
            }
        }
    }

    @Test
    void sameSeedAndEpochGiveTheSameBatchesWhateverTheThreads() {
        var base = BatchLoader.Options.training(16, 123).withDropLast(false);
        List<float[]> one, many, otherSeed;
        try (BatchLoader a = new BatchLoader(set, base.withThreads(1).withPrefetch(1));
             BatchLoader b = new BatchLoader(set, base.withThreads(4).withPrefetch(3));
             BatchLoader c = new BatchLoader(set, BatchLoader.Options.training(16, 124).withDropLast(false))) {
            for (int epoch = 2; epoch <= 3; epoch++) {
                one = images(a, epoch, new ArrayList<>(), new ArrayList<>());
                many = images(b, epoch, new ArrayList<>(), new ArrayList<>());
                otherSeed = images(c, epoch, new ArrayList<>(), new ArrayList<>());
                assertEquals(one.size(), many.size());
                for (int i = 0; i < one.size(); i++) {
                    assertArrayEquals(one.get(i), many.get(i), "epoch " + epoch + " batch " + i);
                }
                assertFalse(Arrays.equals(one.getFirst(), otherSeed.getFirst()), "another seed gives another batch");
            }
        }
    }

    @Test
    void slowConsumerAndEarlyStopsAreSafe() throws InterruptedException {
        try (BatchLoader loader = new BatchLoader(set, BatchLoader.Options.training(10, 1).withPrefetch(2))) {
            BatchLoader.Epoch first = loader.epoch(1);
            assertArrayEquals(Arrays.copyOfRange(loader.order(1), 0, 10), first.next().samples());
            Thread.sleep(50); // workers fill the ring and wait there
            assertArrayEquals(Arrays.copyOfRange(loader.order(1), 10, 20), first.next().samples());
            // Starting another epoch ends this one mid-way.
            BatchLoader.Epoch second = loader.epoch(2);
            assertThrows(IllegalStateException.class, first::next);
            assertEquals(0, second.next().index());
            second.close();
            second.close(); // idempotent
        }
    }

    @Test
    void heldBatchIsNotOverwrittenWhileTheConsumerHoldsIt() throws InterruptedException {
        try (BatchLoader loader = new BatchLoader(set, BatchLoader.Options.training(10, 3).withThreads(3).withPrefetch(1))) {
            try (BatchLoader.Epoch batches = loader.epoch(1)) {
                for (int k = 0; batches.hasNext(); k++) {
                    BatchLoader.Batch b = batches.next();
                    float[] copy = b.images().clone();
                    Thread.sleep(k < 3 ? 20 : 0);
                    assertArrayEquals(copy, b.images(), "batch " + k + " changed while held");
                    assertArrayEquals(Arrays.copyOfRange(loader.order(1), k * 10, k * 10 + 10), b.samples());
                }
            }
        }
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader.Options(0, true, true, true, 1, 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new BatchLoader(set.sample(5, 1), BatchLoader.Options.training(10, 1)));
        try (BatchLoader small = new BatchLoader(set.sample(5, 1), BatchLoader.Options.evaluation(10))) {
            assertEquals(1, small.batchesPerEpoch());
        }
    }
}
