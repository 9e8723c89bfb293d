package ember.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Turns an {@link ImageSet} into float batches on worker threads, ahead of the consumer: each
 * epoch reshuffles (optionally), augments (optionally, {@link Augment}) and normalises into a
 * small ring of reused batch buffers, at most {@code prefetch} batches ahead of the one the
 * consumer holds. Nothing is allocated per batch.
 *
 * <p>Reproducible: batch {@code k} of epoch {@code e} depends only on (seed, e, k), never on
 * thread timing or the thread count. The sample order of an epoch is {@link #order(int)}.
 *
 * <pre>{@code
 * try (BatchLoader loader = new BatchLoader(data.train(), BatchLoader.Options.training(128, seed))) {
 *     for (int epoch = 1; epoch <= epochs; epoch++) {
 *         try (BatchLoader.Epoch batches = loader.epoch(epoch)) {
 *             while (batches.hasNext()) {
 *                 BatchLoader.Batch b = batches.next();   // valid until the next call to next()
 *                 backend.write(x, b.images()); backend.write(y, b.labels()); ...
 *             }
 *             log(batches.waitSeconds());                // time the consumer was kept waiting
 *         }
 *     }
 * }
 * }</pre>
 */
public final class BatchLoader implements AutoCloseable {

    /**
     * @param batchSize images per batch
     * @param shuffle   a new seeded permutation every epoch; else the set's order
     * @param augment   random crop and flip ({@link Augment}); else normalise only
     * @param dropLast  skip the last, partial batch, as the reference's training loop does
     *                  ({@code len // batch} steps); else it comes out smaller
     * @param seed      seeds the permutations and the augmentation
     * @param threads   worker threads preparing batches
     * @param prefetch  batches prepared ahead of the one the consumer holds (the queue bound)
     */
    public record Options(int batchSize, boolean shuffle, boolean augment, boolean dropLast,
                          long seed, int threads, int prefetch) {
        public Options {
            if (batchSize < 1 || threads < 1 || prefetch < 1) {
                throw new IllegalArgumentException("batch size, threads and prefetch must be at least 1: "
                        + batchSize + ", " + threads + ", " + prefetch);
            }
        }

        /** The reference's training loader: shuffled, augmented, last partial batch dropped; 2 threads, 3 ahead. */
        public static Options training(int batchSize, long seed) {
            return new Options(batchSize, true, true, true, seed, 2, 3);
        }

        /** Test-set batches: in order, normalised only, every image once; 1 thread, 2 ahead. */
        public static Options evaluation(int batchSize) {
            return new Options(batchSize, false, false, false, 0, 1, 2);
        }

        public Options withThreads(int threads) {
            return new Options(batchSize, shuffle, augment, dropLast, seed, threads, prefetch);
        }

        public Options withPrefetch(int prefetch) {
            return new Options(batchSize, shuffle, augment, dropLast, seed, threads, prefetch);
        }

        public Options withDropLast(boolean dropLast) {
            return new Options(batchSize, shuffle, augment, dropLast, seed, threads, prefetch);
        }
    }

    /**
     * One batch, in buffers the loader reuses: valid until the consumer's next call to
     * {@link Epoch#next()} or {@link Epoch#close()}. Arrays have room for a full batch; only the
     * first {@link #size()} images (size × 3072 floats) and labels are this batch.
     */
    public static final class Batch {
        private final float[] images;
        private final float[] labels;
        private final int[] samples;
        private int index;
        private int size;

        private Batch(int batchSize) {
            images = new float[batchSize * Cifar10.IMAGE_BYTES];
            labels = new float[batchSize];
            samples = new int[batchSize];
        }

        /** Position of this batch in its epoch, from 0. */
        public int index() {
            return index;
        }

        /** Images in this batch: the batch size, or fewer for a last partial batch. */
        public int size() {
            return size;
        }

        /** NCHW float images, normalised (and augmented for training). Shared: do not modify. */
        public float[] images() {
            return images;
        }

        /** Class labels 0..9 as exact floats, for backend buffers. Shared: do not modify. */
        public float[] labels() {
            return labels;
        }

        /** Index in the image set of each image of the batch. Shared: do not modify. */
        public int[] samples() {
            return samples;
        }
    }

    private final ImageSet data;
    private final Options options;
    private final ExecutorService workers;
    private final Batch[] ring;
    private Epoch open;
    private boolean closed;

    public BatchLoader(ImageSet data, Options options) {
        if (data.size() == 0) {
            throw new IllegalArgumentException(data.name() + " holds no images");
        }
        if (options.dropLast() && data.size() < options.batchSize()) {
            throw new IllegalArgumentException(data.name() + " has " + data.size() + " images, fewer than one batch of "
                    + options.batchSize() + " with the last partial batch dropped");
        }
        this.data = data;
        this.options = options;
        this.workers = Executors.newFixedThreadPool(options.threads(),
                Thread.ofPlatform().daemon().name("ember-loader-", 0).factory());
        this.ring = new Batch[options.prefetch() + 1];
        for (int i = 0; i < ring.length; i++) {
            ring[i] = new Batch(options.batchSize());
        }
    }

    public Options options() {
        return options;
    }

    /** Batches one epoch yields. */
    public int batchesPerEpoch() {
        int b = options.batchSize();
        return options.dropLast() ? data.size() / b : (data.size() + b - 1) / b;
    }

    /** The order in which epoch {@code epoch} visits the images: a seeded permutation, or 0..n-1. */
    public int[] order(int epoch) {
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (options.shuffle()) {
            SplittableRandom random = new SplittableRandom(Augment.mix(Augment.mix(options.seed() ^ 0x5DEECE66DL) + epoch));
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /**
     * Starts preparing the batches of epoch {@code epoch} (any int; the number seeds its
     * shuffle and augmentation). Ends a previous epoch that is still open.
     */
    public Epoch epoch(int epoch) {
        if (closed) {
            throw new IllegalStateException("batch loader is closed");
        }
        if (open != null) {
            open.close();
        }
        open = new Epoch(epoch);
        return open;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (open != null) {
            open.close();
        }
        closed = true;
        workers.shutdownNow();
    }

    /** The batches of one epoch, in order. Used by one consumer thread. */
    public final class Epoch implements Iterator<Batch>, AutoCloseable {
        private final int number;
        private final int[] order;
        private final int count;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition readyChanged = lock.newCondition();
        private final Condition released = lock.newCondition();
        private final Future<?>[] tasks;
        // guarded by lock
        private final int[] readyBatch; // per ring slot: the batch index it holds ready, or -1
        private int nextToPrepare;
        private int served;             // batches handed to the consumer
        private int given;              // batches the consumer gave back (all served but the one it holds)
        private boolean cancelled;
        private Throwable failure;
        private long prepareNanos;
        // consumer only
        private long waitNanos;
        private boolean ended;

        private Epoch(int number) {
            this.number = number;
            this.order = order(number);
            this.count = batchesPerEpoch();
            this.readyBatch = new int[ring.length];
            java.util.Arrays.fill(readyBatch, -1);
            this.tasks = new Future<?>[options.threads()];
            for (int t = 0; t < tasks.length; t++) {
                tasks[t] = workers.submit(this::work);
            }
        }

        /** The epoch number this iterates. */
        public int number() {
            return number;
        }

        /** Batches this epoch yields in all. */
        public int batches() {
            return count;
        }

        private void work() {
            try {
                while (true) {
                    int k;
                    lock.lock();
                    try {
                        if (cancelled || nextToPrepare >= count) {
                            return;
                        }
                        k = nextToPrepare++;
                        // Slot k % ring is free once the consumer has given back batch k - ring.
                        while (!cancelled && k >= given + ring.length) {
                            released.await();
                        }
                        if (cancelled) {
                            return;
                        }
                    } finally {
                        lock.unlock();
                    }
                    long start = System.nanoTime();
                    fill(ring[k % ring.length], k);
                    long spent = System.nanoTime() - start;
                    lock.lock();
                    try {
                        readyBatch[k % ring.length] = k;
                        prepareNanos += spent;
                        readyChanged.signalAll();
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable e) {
                lock.lock();
                try {
                    failure = e;
                    readyChanged.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }

        private void fill(Batch batch, int k) {
            int first = k * options.batchSize();
            int size = Math.min(options.batchSize(), data.size() - first);
            byte[] pixels = data.pixels();
            int[] labels = data.labels();
            for (int i = 0; i < size; i++) {
                int position = first + i;
                int sample = order[position];
                batch.samples[i] = sample;
                batch.labels[i] = labels[sample];
                if (options.augment()) {
                    Augment.cropFlipNormalize(pixels, sample, Augment.draw(options.seed(), number, position),
                            batch.images, i * Cifar10.IMAGE_BYTES);
                } else {
                    Augment.normalize(pixels, sample, batch.images, i * Cifar10.IMAGE_BYTES);
                }
            }
            batch.index = k;
            batch.size = size;
        }

        @Override
        public boolean hasNext() {
            return !ended && served < count;
        }

        /**
         * The next batch, waiting for it if the workers are behind (that wait is
         * {@link #waitSeconds()}). Gives back the previous batch, which becomes invalid.
         */
        @Override
        public Batch next() {
            if (ended) {
                throw new IllegalStateException("epoch " + number + " is closed");
            }
            lock.lock();
            try {
                giveBack();
                if (served >= count) {
                    throw new NoSuchElementException("epoch " + number + " has " + count + " batches");
                }
                int k = served;
                int slot = k % ring.length;
                long start = System.nanoTime();
                while (readyBatch[slot] != k) {
                    if (failure != null) {
                        throw new IllegalStateException("preparing batch " + k + " of epoch " + number + " failed", failure);
                    }
                    try {
                        readyChanged.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for batch " + k + " of epoch " + number, e);
                    }
                }
                waitNanos += System.nanoTime() - start;
                readyBatch[slot] = -1;
                served++;
                return ring[slot];
            } finally {
                lock.unlock();
            }
        }

        private void giveBack() {
            if (given < served) {
                given = served;
                released.signalAll();
            }
        }

        /** Seconds the consumer spent in {@link #next()} waiting for a batch not yet ready. */
        public double waitSeconds() {
            return waitNanos / 1e9;
        }

        /** Seconds of worker time spent preparing batches so far (summed over threads). */
        public double prepareSeconds() {
            lock.lock();
            try {
                return prepareNanos / 1e9;
            } finally {
                lock.unlock();
            }
        }

        /** Stops the workers for this epoch and waits for them; the last batch becomes invalid. */
        @Override
        public void close() {
            if (ended) {
                return;
            }
            ended = true;
            lock.lock();
            try {
                cancelled = true;
                released.signalAll();
            } finally {
                lock.unlock();
            }
            for (Future<?> task : tasks) {
                try {
                    task.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (ExecutionException e) {
                    // work() records its own failures; nothing else can come out of it.
                }
            }
            if (open == this) {
                open = null;
            }
        }
    }
}
