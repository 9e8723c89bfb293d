package ember.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs an op's tasks on the calling thread and threads − 1 helper threads. Small ranges run
 * inline: for the tiny tensors of exp1, handing work to another thread costs more than the work.
 *
 * <p>The caller works too, and a helper spins for a moment after each op before it parks:
 * a training step is hundreds of parallel ops a few milliseconds apart, and with a fork-join
 * pool every op woke its workers from sleep, which on the 2-core VM left a core idle for 14 %
 * of the step (docs/exp2.md). A range started while tasks run (a task's own GEMM) runs inline.
 */
final class Parallel implements AutoCloseable {

    /** Body of a loop over [from, to). */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /** One task of {@link #eachTask}, run by worker number {@code worker} (for its scratch). */
    @FunctionalInterface
    interface TaskBody {
        void run(int worker, int task);
    }

    /** How long an idle helper watches for the next op before it parks. */
    private static final long SPIN_NANOS = 200_000;

    /** The job helpers see once the pool is closed: they exit. */
    private static final Job CLOSED = new Job((worker, task) -> { }, 0);

    private final int threads;
    private final Helper[] helpers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Job current;

    Parallel(int threads) {
        this.threads = threads;
        this.helpers = new Helper[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Helper(i + 1);
            helpers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs tasks [0, n), each taken by whichever worker is free next, so that a core the host
     * slows down does less of the work instead of holding the other one up (with fixed halves,
     * the first worker to finish waited 13 % of the time for the second: docs/exp2.md). The
     * result of a task must not depend on which worker runs it. The caller is worker 0.
     */
    void eachTask(int n, TaskBody body) {
        if (helpers.length == 0 || n <= 1 || current == CLOSED) {
            for (int t = 0; t < n; t++) {
                body.run(0, t);
            }
            return;
        }
        if (!busy.compareAndSet(false, true)) {
            // Inline, the tasks would share worker 0's scratch with the tasks already running.
            throw new IllegalStateException("CPU backend: tasks started from inside a task, or from two threads at once");
        }
        try {
            Job job = new Job(body, n);
            current = job;
            for (Helper helper : helpers) {
                helper.wake();
            }
            job.work(0);
            job.awaitHelpers();
            job.rethrow();
        } finally {
            busy.set(false);
        }
    }

    /** Runs body over [0, n) in chunks; {@code grain} is the smallest range worth a task. */
    void range(int n, int grain, RangeBody body) {
        if (helpers.length == 0 || n <= grain || busy.get()) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(threads * 4, (n + grain - 1) / grain);
        eachTask(chunks, (worker, c) -> body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)));
    }

    @Override
    public void close() {
        current = CLOSED;
        for (Helper helper : helpers) {
            helper.wake();
        }
    }

    /** One call's tasks, claimed one at a time by whichever worker asks next. */
    private static final class Job {
        private final TaskBody body;
        private final int n;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger running = new AtomicInteger();
        private volatile Throwable failure;

        Job(TaskBody body, int n) {
            this.body = body;
            this.n = n;
        }

        /** Runs tasks until none is left; a helper that comes late finds none and leaves. */
        void work(int worker) {
            running.incrementAndGet();
            try {
                for (int t = next.getAndIncrement(); t < n; t = next.getAndIncrement()) {
                    body.run(worker, t);
                }
            } catch (Throwable e) {
                failure = e;
                next.set(n);
            } finally {
                running.decrementAndGet();
            }
        }

        /** Waits for tasks still running on helpers; they are on a core, so this is short. */
        void awaitHelpers() {
            for (int spins = 0; running.get() > 0; spins++) {
                if (spins < 10_000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void rethrow() {
            Throwable e = failure;
            if (e instanceof RuntimeException r) {
                throw r;
            }
            if (e instanceof Error err) {
                throw err;
            }
            if (e != null) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final class Helper extends Thread {
        private final int worker;
        private volatile boolean parked;

        Helper(int worker) {
            super("ember-cpu-" + worker);
            this.worker = worker;
            setDaemon(true);
        }

        void wake() {
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            Job done = null;
            while (true) {
                Job job = awaitJob(done);
                if (job == CLOSED) {
                    return;
                }
                job.work(worker);
                done = job;
            }
        }

        /** Spins for {@link #SPIN_NANOS}, then parks until a job other than {@code done} is posted. */
        private Job awaitJob(Job done) {
            long start = System.nanoTime();
            while (true) {
                Job job = current;
                if (job != done && job != null) {
                    return job;
                }
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                if (current == job) {
                    LockSupport.park(this);
                }
                parked = false;
            }
        }
    }
}
