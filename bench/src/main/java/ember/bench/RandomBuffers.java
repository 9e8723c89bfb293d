package ember.bench;

import ember.backend.Backend;
import ember.backend.Buffer;
import java.util.SplittableRandom;

/** Benchmark inputs: backend buffers of uniform random values. */
final class RandomBuffers {
    private RandomBuffers() {}

    /** A new buffer of {@code length} values uniform in [−bound, bound). */
    static Buffer uniform(Backend backend, int length, double bound, SplittableRandom random) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextDouble(-bound, bound);
        }
        Buffer buffer = backend.allocate(length);
        backend.write(buffer, values);
        return buffer;
    }
}
