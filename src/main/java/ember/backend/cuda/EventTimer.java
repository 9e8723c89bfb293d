package ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import ember.backend.PhaseTimer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;

/**
 * Laps as events in the stream, timed by when the GPU reached them: the host's clock would
 * charge the device's time to whichever call waits next. Laps while a step is being captured
 * into a graph are skipped (an event recorded then would become part of the graph).
 */
final class EventTimer implements PhaseTimer {
    /** Laps kept before their times are read (which waits for the device up to the last of them). */
    private static final int PENDING = 512;
    private final CUstream stream;
    private final BooleanSupplier capturing;
    private final double[] seconds;
    private final List<CUevent> laps = new ArrayList<>();
    private final List<Integer> phases = new ArrayList<>();
    private CUevent last;

    EventTimer(CUstream stream, BooleanSupplier capturing, int count) {
        this.stream = stream;
        this.capturing = capturing;
        this.seconds = new double[count];
        this.last = mark();
    }

    @Override
    public void lap(int phase) {
        if (capturing.getAsBoolean()) {
            return;
        }
        laps.add(mark());
        phases.add(phase);
        if (laps.size() == PENDING) {
            drain();
        }
    }

    @Override
    public double[] totals() {
        drain();
        return seconds.clone();
    }

    /** Adds each pending lap's time to its phase; the last lap becomes the start of the next. */
    private void drain() {
        if (laps.isEmpty()) {
            return;
        }
        cuEventSynchronize(laps.getLast());
        float[] ms = new float[1];
        CUevent previous = last;
        for (int i = 0; i < laps.size(); i++) {
            cuEventElapsedTime(ms, previous, laps.get(i));
            seconds[phases.get(i)] += ms[0] / 1e3;
            previous = laps.get(i);
        }
        cuEventDestroy(last);
        laps.subList(0, laps.size() - 1).forEach(e -> cuEventDestroy(e));
        last = laps.getLast();
        laps.clear();
        phases.clear();
    }

    private CUevent mark() {
        CUevent event = new CUevent();
        cuEventCreate(event, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventRecord(event, stream);
        return event;
    }

    @Override
    public void close() {
        laps.forEach(e -> cuEventDestroy(e));
        cuEventDestroy(last);
        laps.clear();
    }
}
