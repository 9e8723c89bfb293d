package ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;

import ember.backend.RecordedStep;
import jcuda.CudaException;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;

/**
 * A step recorded as a CUDA graph through the driver API. The first run goes op by op: it plans
 * what is planned on first use (cuDNN's algorithm search, workspaces, scratch) and warms up. The
 * second captures the stream's work into a graph (cuStreamBeginCapture_v2 in global mode, so any
 * call that is illegal during capture fails instead of being recorded wrong), instantiates it
 * and launches it; every later run is one cuGraphLaunch. If capture fails, the reason is printed
 * once and the step goes on op by op: slower, never wrong.
 */
final class CudaGraphStep implements RecordedStep {
    private final Runnable work;
    private final CUstream stream;
    private final Runnable current;
    private final java.util.function.Consumer<Boolean> capturing;
    private CUgraphExec graph;
    private int runs;
    private boolean failed;
    private boolean replayed;
    private boolean closed;

    /**
     * {@code current} makes the backend's context current on the calling thread; {@code capturing}
     * hears when a capture starts and ends (the backend's phase timer lays no marks meanwhile).
     */
    CudaGraphStep(Runnable work, CUstream stream, Runnable current, java.util.function.Consumer<Boolean> capturing) {
        this.work = work;
        this.stream = stream;
        this.current = current;
        this.capturing = capturing;
    }

    @Override
    public void run() {
        if (closed) {
            throw new IllegalStateException("recorded step used after close");
        }
        current.run();
        if (graph == null && runs > 0 && !failed) {
            capture();
        }
        runs++;
        if (graph != null) {
            cuGraphLaunch(graph, stream);
            replayed = true;
        } else {
            work.run();
            replayed = false;
        }
    }

    private void capture() {
        cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_GLOBAL);
        CUgraph captured = new CUgraph();
        capturing.accept(true);
        try {
            work.run();
        } catch (RuntimeException e) {
            endQuietly(captured);
            giveUp(e);
            return;
        } finally {
            capturing.accept(false);
        }
        try {
            cuStreamEndCapture(stream, captured);
            CUgraphExec instance = new CUgraphExec();
            cuGraphInstantiate(instance, captured, 0);
            graph = instance;
        } catch (CudaException e) {
            giveUp(e);
        } finally {
            destroyQuietly(captured);
        }
    }

    private void giveUp(RuntimeException why) {
        failed = true;
        System.err.println("ember: CUDA graph capture of a step failed (" + why.getMessage()
                + "); that step runs op by op from now on");
    }

    /** Ends a capture that failed part-way, so the stream takes work again. */
    private void endQuietly(CUgraph captured) {
        try {
            cuStreamEndCapture(stream, captured);
        } catch (CudaException invalidated) {
            // The capture was already invalidated by the failure; ending it is all that was needed.
        }
        destroyQuietly(captured);
    }

    private static void destroyQuietly(CUgraph captured) {
        try {
            cuGraphDestroy(captured);
        } catch (CudaException none) {
            // No graph was made.
        }
    }

    @Override
    public boolean replayed() {
        return replayed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (graph != null) {
                current.run();
                cuGraphExecDestroy(graph);
            }
        }
    }
}
