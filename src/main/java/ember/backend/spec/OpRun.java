package ember.backend.spec;

import ember.backend.Backend;
import ember.backend.Buffer;
import java.util.List;
import java.util.function.Supplier;

/** An {@link OpSpec} made ready on one backend: inputs uploaded, outputs allocated. Closing frees them. */
public final class OpRun implements AutoCloseable {
    private final Backend backend;
    private final List<Buffer> buffers;
    private final Runnable op;
    private final Supplier<float[]> output;
    private final Buffer waitOn;
    private final float[] one = new float[1];

    OpRun(Backend backend, List<Buffer> buffers, Runnable op, Supplier<float[]> output, Buffer written) {
        this.backend = backend;
        this.buffers = List.copyOf(buffers);
        this.op = op;
        this.output = output;
        this.waitOn = written.slice(0, 1);
    }

    /** Runs the op once; on an asynchronous backend it may still be running when this returns. */
    public void run() {
        op.run();
    }

    /**
     * Runs the op once and returns when it has finished: reading one value of its output is the
     * {@link Backend}'s one way to wait (on a GPU, a few microseconds of its own).
     */
    public float runAndWait() {
        op.run();
        backend.read(waitOn, one);
        return one[0];
    }

    /** Everything the op wrote, read back (activations in NCHW row order), concatenated. */
    public float[] output() {
        return output.get();
    }

    @Override
    public void close() {
        buffers.forEach(Buffer::close);
    }
}
