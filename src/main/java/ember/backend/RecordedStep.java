package ember.backend;

/**
 * Device work that repeats with the same buffers and shapes (a training step, a test step), made
 * by {@link Backend#record}. A backend that can record its queued work (CUDA graphs) records it
 * once and replays the record, which costs one launch instead of one per op; the default runs
 * the work each time. Either way {@link #run} queues the same arithmetic.
 */
public interface RecordedStep extends AutoCloseable {

    /** Queues the step's work once more. */
    void run();

    /** Whether the last {@link #run} replayed a record, so the work's own code (and its phase laps) did not run. */
    boolean replayed();

    @Override
    void close();

    /** Runs the work each time: the default for backends whose ops run as they are called. */
    static RecordedStep direct(Runnable work) {
        return new RecordedStep() {
            @Override
            public void run() {
                work.run();
            }

            @Override
            public boolean replayed() {
                return false;
            }

            @Override
            public void close() {}
        };
    }
}
