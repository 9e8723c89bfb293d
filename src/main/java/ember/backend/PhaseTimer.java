package ember.backend;

/**
 * Where a loop's time goes, phase by phase, measured where its work runs ({@link
 * Backend#phaseTimer}). Each {@link #lap} ends the phase it names and starts the next; on a
 * backend whose ops return before their work is done, laps are marks in the device's stream of
 * work, since host clocks would charge the device's time to whichever call waits next.
 */
public interface PhaseTimer extends AutoCloseable {

    /** The phase {@code phase} ends here: the time since the last lap (or since the start) is its. */
    void lap(int phase);

    /** Seconds per phase since the start, waiting for the work the laps mark where it must. */
    double[] totals();

    @Override
    void close();

    /** Laps on the host's clock: right where every op has finished when it returns. */
    final class OnHost implements PhaseTimer {
        private final long[] nanos;
        private long last = System.nanoTime();

        public OnHost(int phases) {
            this.nanos = new long[phases];
        }

        @Override
        public void lap(int phase) {
            long now = System.nanoTime();
            nanos[phase] += now - last;
            last = now;
        }

        @Override
        public double[] totals() {
            double[] seconds = new double[nanos.length];
            for (int i = 0; i < seconds.length; i++) {
                seconds[i] = nanos[i] / 1e9;
            }
            return seconds;
        }

        @Override
        public void close() {}
    }
}
