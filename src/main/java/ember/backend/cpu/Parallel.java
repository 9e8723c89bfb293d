package ember.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits an index range over a private fork-join pool. Small ranges run inline: for the
 * tiny tensors of exp1, handing work to another thread costs more than the work.
 */
final class Parallel implements AutoCloseable {

    /** Body of a loop over [from, to). */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    private final ForkJoinPool pool;
    private final int threads;

    Parallel(int threads) {
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads) : null;
    }

    int threads() {
        return threads;
    }

    /** One task of {@link #eachTask}, run by worker number {@code worker} (for its scratch). */
    @FunctionalInterface
    interface TaskBody {
        void run(int worker, int task);
    }

    /**
     * Runs tasks [0, n), each taken by whichever worker is free next, so that a core the host
     * slows down does less of the work instead of holding the other one up (with fixed halves,
     * the first worker to finish waited 13 % of the time for the second: docs/exp2.md). The
     * result of a task must not depend on which worker runs it.
     */
    void eachTask(int n, TaskBody body) {
        int workers = Math.min(threads, n);
        if (pool == null || workers <= 1) {
            for (int t = 0; t < n; t++) {
                body.run(0, t);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        range(workers, 1, (from, to) -> {
            for (int w = from; w < to; w++) {
                for (int t = next.getAndIncrement(); t < n; t = next.getAndIncrement()) {
                    body.run(w, t);
                }
            }
        });
    }

    /** Runs body over [0, n) in chunks; {@code grain} is the smallest range worth a task. */
    void range(int n, int grain, RangeBody body) {
        if (pool == null || n <= grain) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(threads * 4, (n + grain - 1) / grain);
        pool.invoke(new Chunk(body, n, chunks, 0, chunks));
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int n, chunks, lo, hi;

        Chunk(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.run((int) ((long) n * lo / chunks), (int) ((long) n * hi / chunks));
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunk(body, n, chunks, lo, mid), new Chunk(body, n, chunks, mid, hi));
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
