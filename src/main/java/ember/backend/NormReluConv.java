package ember.backend;

/**
 * y = conv(relu(BN(x))) as one planned op (from {@link Backend#normReluConv}): a batch norm and
 * ReLU whose output nothing but the convolution reads, which a backend may therefore never
 * write. Planned for the largest batch; each call runs {@code batch} images of it. Whatever it
 * keeps between a forward and its backward lives in the object, never in the layers around it.
 */
public interface NormReluConv extends AutoCloseable {

    /**
     * Training: batch norm with x's batch statistics (saved, running ones updated, as {@link
     * Backend#batchNormTraining}; xStats are those {@link Backend#conv2d(ConvShape, Buffer, Buffer,
     * Buffer, Buffer)} left for x, or null), the ReLU, then y = conv(·, w), leaving y's stats in
     * yStats (unless null) as that fusion does.
     */
    void forwardTraining(int batch, Buffer x, Buffer xStats, BatchNormTensors norm, Buffer w, Buffer y,
                         Buffer yStats);

    /** Inference: batch norm with the running statistics, the ReLU, y = conv(·, w). */
    void forwardInference(int batch, Buffer x, BatchNormTensors norm, Buffer w, Buffer y);

    /**
     * Backward of the last {@link #forwardTraining} on the same x: dx (for x) is overwritten;
     * dw and the norm's gamma and beta gradients accumulate. dy is only read.
     */
    void backward(int batch, Buffer x, Buffer dy, BatchNormTensors norm, Buffer w, Buffer dx, Buffer dw);

    @Override
    void close();
}
