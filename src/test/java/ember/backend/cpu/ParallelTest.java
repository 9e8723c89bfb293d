package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The worker pool: every task once, on a worker of its own number, failures reach the caller. */
class ParallelTest {

    @Test
    void everyTaskRunsOnceOnAValidWorkerOverManyCalls() {
        SplittableRandom random = new SplittableRandom(3);
        for (int threads : new int[] {2, 3}) {
            try (Parallel parallel = new Parallel(threads)) {
                for (int call = 0; call < 3_000; call++) {
                    int n = random.nextInt(2, 40);
                    AtomicIntegerArray runs = new AtomicIntegerArray(n);
                    AtomicIntegerArray workerSeen = new AtomicIntegerArray(threads);
                    // Some calls long enough for helpers to park between them.
                    int pause = call % 500 == 0 ? 1 : 0;
                    parallel.eachTask(n, (worker, task) -> {
                        runs.incrementAndGet(task);
                        workerSeen.incrementAndGet(worker);
                    });
                    for (int t = 0; t < n; t++) {
                        assertEquals(1, runs.get(t), "task " + t + " of " + n + " on " + threads + " threads");
                    }
                    int total = 0;
                    for (int w = 0; w < threads; w++) {
                        total += workerSeen.get(w);
                    }
                    assertEquals(n, total, "tasks run by workers 0.." + (threads - 1));
                    sleepMillis(pause);
                }
            }
        }
    }

    @Test
    void rangeCoversEveryIndexOnce() {
        try (Parallel parallel = new Parallel(2)) {
            for (int n : new int[] {1, 7, 64, 1000, 12_345}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                parallel.range(n, 5, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "index " + i + " of " + n);
                }
            }
        }
    }

    @Test
    void aTaskFailureReachesTheCallerAndThePoolGoesOn() {
        try (Parallel parallel = new Parallel(2)) {
            IllegalArgumentException thrown = new IllegalArgumentException("task 13");
            for (int call = 0; call < 50; call++) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                        parallel.eachTask(30, (worker, task) -> {
                            if (task == 13) {
                                throw thrown;
                            }
                        }));
                assertSame(thrown, e);
                AtomicIntegerArray runs = new AtomicIntegerArray(30);
                parallel.eachTask(30, (worker, task) -> runs.incrementAndGet(task));
                for (int t = 0; t < 30; t++) {
                    assertEquals(1, runs.get(t));
                }
            }
        }
    }

    @Test
    void aRangeInsideATaskRunsInlineAndTasksInsideATaskAreRefused() {
        try (Parallel parallel = new Parallel(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(8 * 100);
            parallel.eachTask(8, (worker, task) -> {
                Thread self = Thread.currentThread();
                parallel.range(100, 1, (from, to) -> {
                    assertSame(self, Thread.currentThread());
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(task * 100 + i);
                    }
                });
            });
            for (int i = 0; i < hits.length(); i++) {
                assertEquals(1, hits.get(i));
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                    parallel.eachTask(4, (worker, task) -> parallel.eachTask(4, (w, t) -> { })));
            assertTrue(e.getMessage().contains("inside a task"), e.getMessage());
        }
    }

    @Test
    void aClosedPoolRunsEveryTaskOnTheCaller() {
        Parallel parallel = new Parallel(3);
        parallel.close();
        AtomicIntegerArray runs = new AtomicIntegerArray(20);
        Thread caller = Thread.currentThread();
        parallel.eachTask(20, (worker, task) -> {
            assertSame(caller, Thread.currentThread());
            runs.incrementAndGet(task);
        });
        for (int t = 0; t < 20; t++) {
            assertEquals(1, runs.get(t));
        }
    }

    private static void sleepMillis(int millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
