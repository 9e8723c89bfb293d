package ember.backend;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link PhaseTimer} for a backend whose ops return before their work is done: each lap lays
 * a mark in the device's stream of work (an OpenCL marker, a CUDA event), and a phase's time is
 * the device's time between two marks. Marks are read in batches, which waits for the device up
 * to the last of them, so the host does not wait on every lap.
 *
 * @param <M> the backend's mark
 */
public abstract class MarkTimer<M> implements PhaseTimer {
    /** Laps kept before their times are read. */
    private static final int PENDING = 512;
    private final double[] seconds;
    private final List<M> laps = new ArrayList<>();
    private final List<Integer> phases = new ArrayList<>();
    private M last;

    protected MarkTimer(int phases) {
        this.seconds = new double[phases];
    }

    /** Lays the first mark; a subclass calls it at the end of its constructor. */
    protected final void start() {
        last = mark();
    }

    /** A new mark in the stream of work, after everything queued so far. */
    protected abstract M mark();

    /** Waits until the device has passed {@code mark}. */
    protected abstract void waitFor(M mark);

    /** Seconds of device time from {@code from} to {@code to}, both passed. */
    protected abstract double seconds(M from, M to);

    /** Frees a mark. */
    protected abstract void release(M mark);

    /** Whether laps are ignored now (e.g. while the stream is being recorded). */
    protected boolean paused() {
        return false;
    }

    @Override
    public final void lap(int phase) {
        if (paused()) {
            return;
        }
        laps.add(mark());
        phases.add(phase);
        if (laps.size() == PENDING) {
            drain();
        }
    }

    @Override
    public final double[] totals() {
        drain();
        return seconds.clone();
    }

    /** Adds each pending lap's time to its phase; the last lap becomes the start of the next. */
    private void drain() {
        if (laps.isEmpty()) {
            return;
        }
        waitFor(laps.getLast());
        M previous = last;
        for (int i = 0; i < laps.size(); i++) {
            seconds[phases.get(i)] += seconds(previous, laps.get(i));
            previous = laps.get(i);
        }
        release(last);
        laps.subList(0, laps.size() - 1).forEach(this::release);
        last = laps.getLast();
        laps.clear();
        phases.clear();
    }

    @Override
    public final void close() {
        laps.forEach(this::release);
        release(last);
        laps.clear();
    }
}
