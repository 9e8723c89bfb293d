package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The buffers a layer owns, each sized for the largest batch and allocated once; {@link #rows}
 * gives the view a batch uses. Closing closes them all.
 */
final class Activations implements AutoCloseable {
    private final Backend backend;
    private final int maxBatch;
    private final List<Buffer> owned = new ArrayList<>();

    Activations(Backend backend, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("a layer needs a largest batch of at least 1, got " + maxBatch);
        }
        this.backend = backend;
        this.maxBatch = maxBatch;
    }

    /** A buffer of {@code perImage} values for each image of the largest batch. */
    Buffer allocate(int perImage) {
        Buffer b = backend.allocate(Math.multiplyExact(perImage, maxBatch));
        owned.add(b);
        return b;
    }

    int maxBatch() {
        return maxBatch;
    }

    /** The first {@code batch} images of b, each {@code perImage} values. */
    Buffer rows(Buffer b, int perImage, int batch) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + maxBatch);
        }
        return b.slice(0, perImage * batch);
    }

    @Override
    public void close() {
        owned.forEach(Buffer::close);
    }
}
