package ember.backend.cpu;

/**
 * Work on one plane of a result just written, while it is still in cache: a ReLU's mask, or
 * the sums a batch norm will need from it, taken without reading the plane back from memory.
 */
@FunctionalInterface
interface PlaneEpilogue {
    /** Plane (image, channel) of the result, at offset `at` from the result's first value, as the caller counts them. */
    void apply(int image, int channel, int at);
}
