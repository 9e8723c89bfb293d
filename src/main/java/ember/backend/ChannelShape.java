package ember.backend;

/** An NCHW tensor seen per channel: {@code batch} images of {@code channels} planes of {@code pixels}. */
public record ChannelShape(int batch, int channels, int pixels) {
    public ChannelShape {
        if (batch < 1 || channels < 1 || pixels < 1) {
            throw new IllegalArgumentException("invalid tensor shape " + this);
        }
    }

    public int size() {
        return batch * channels * pixels;
    }

    /** Values per channel: batch · pixels. */
    public int perChannel() {
        return batch * pixels;
    }
}
