package ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import ember.backend.MarkTimer;
import java.util.function.BooleanSupplier;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;

/**
 * Laps as events in the stream, timed by when the GPU reached them. Laps while a step is being
 * captured into a graph are skipped: an event recorded then would become part of the graph.
 */
final class EventTimer extends MarkTimer<CUevent> {
    private final CUstream stream;
    private final BooleanSupplier capturing;

    EventTimer(CUstream stream, BooleanSupplier capturing, int phases) {
        super(phases);
        this.stream = stream;
        this.capturing = capturing;
        start();
    }

    @Override
    protected CUevent mark() {
        CUevent event = new CUevent();
        cuEventCreate(event, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventRecord(event, stream);
        return event;
    }

    @Override
    protected void waitFor(CUevent mark) {
        cuEventSynchronize(mark);
    }

    @Override
    protected double seconds(CUevent from, CUevent to) {
        float[] ms = new float[1];
        cuEventElapsedTime(ms, from, to);
        return ms[0] / 1e3;
    }

    @Override
    protected void release(CUevent mark) {
        cuEventDestroy(mark);
    }

    @Override
    protected boolean paused() {
        return capturing.getAsBoolean();
    }
}
