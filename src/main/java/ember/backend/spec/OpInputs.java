package ember.backend.spec;

import ember.backend.Backend;
import ember.backend.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Builds an op's buffers on one backend from one random stream, remembering each so {@link OpRun}
 * (or a failed setup) frees them all. Draws happen in call order, so the same seed gives every
 * backend the same values.
 */
public final class OpInputs implements AutoCloseable {
    private final Backend backend;
    private final SplittableRandom random;
    private final List<Buffer> buffers = new ArrayList<>();

    OpInputs(Backend backend, SplittableRandom random) {
        this.backend = backend;
        this.random = random;
    }

    public Backend backend() {
        return backend;
    }

    /** Values uniform in [−1, 1). */
    public Buffer uniform(int length) {
        return values(draw(length, -1, 1));
    }

    /** Values uniform in [low, high): positive ones for variances and 1/std. */
    public Buffer uniform(int length, double low, double high) {
        return values(draw(length, low, high));
    }

    /** Uniform values in [−1, 1) written as NCHW planes of height × width, in the backend's pixel order. */
    public Buffer activations(int length, int height, int width) {
        Buffer buffer = own(backend.allocate(length));
        backend.writeActivations(buffer, draw(length, -1, 1), height, width);
        return buffer;
    }

    /** Integers uniform in [0, bound), as floats (labels, row indices). */
    public Buffer integers(int length, int bound) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = random.nextInt(bound);
        }
        return values(values);
    }

    public Buffer values(float... values) {
        Buffer buffer = own(backend.allocate(values.length));
        backend.write(buffer, values);
        return buffer;
    }

    /** The op, what it writes (as {@link #read} and {@link #readActivations} give it), and one buffer it writes. */
    public OpRun run(Runnable op, Supplier<float[]> output, Buffer written) {
        return new OpRun(backend, buffers, op, output, written);
    }

    public float[] read(Buffer... written) {
        float[] all = new float[0];
        for (Buffer b : written) {
            float[] values = new float[b.length()];
            backend.read(b, values);
            int before = all.length;
            all = Arrays.copyOf(all, before + values.length);
            System.arraycopy(values, 0, all, before, values.length);
        }
        return all;
    }

    /** Activations back in NCHW row order. */
    public float[] readActivations(Buffer written, int height, int width) {
        float[] values = new float[written.length()];
        backend.readActivations(written, values, height, width);
        return values;
    }

    private float[] draw(int length, double low, double high) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextDouble(low, high);
        }
        return values;
    }

    private Buffer own(Buffer buffer) {
        buffers.add(buffer);
        return buffer;
    }

    /** Frees every buffer made so far (a setup that failed half way). */
    @Override
    public void close() {
        buffers.forEach(Buffer::close);
    }
}
