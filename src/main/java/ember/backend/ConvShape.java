package ember.backend;

/**
 * A 2-D convolution over an NCHW batch with a square kernel and equal padding on all sides;
 * weights are [outChannels, inChannels, kernel, kernel] as in PyTorch.
 */
public record ConvShape(int batch, int inChannels, int height, int width,
                        int outChannels, int kernel, int stride, int padding) {
    public ConvShape {
        if (batch < 1 || inChannels < 1 || height < 1 || width < 1 || outChannels < 1 || kernel < 1
                || stride < 1 || padding < 0 || height + 2 * padding < kernel || width + 2 * padding < kernel) {
            throw new IllegalArgumentException("invalid convolution " + this);
        }
    }

    public int outHeight() {
        return (height + 2 * padding - kernel) / stride + 1;
    }

    public int outWidth() {
        return (width + 2 * padding - kernel) / stride + 1;
    }

    public int inputSize() {
        return batch * inChannels * height * width;
    }

    public int outputSize() {
        return batch * outChannels * outHeight() * outWidth();
    }

    public int weightSize() {
        return outChannels * inChannels * kernel * kernel;
    }

    /** Rows of the unfolded input (im2col) per image: inChannels · kernel². */
    public int patchSize() {
        return inChannels * kernel * kernel;
    }

    /** The input seen per channel (what a batch norm before this convolution normalises). */
    public ChannelShape input() {
        return new ChannelShape(batch, inChannels, height * width);
    }

    /** The output seen per channel (what a batch norm after this convolution normalises). */
    public ChannelShape output() {
        return new ChannelShape(batch, outChannels, outHeight() * outWidth());
    }

    /** The same convolution over another batch size. */
    public ConvShape withBatch(int newBatch) {
        return new ConvShape(newBatch, inChannels, height, width, outChannels, kernel, stride, padding);
    }
}
