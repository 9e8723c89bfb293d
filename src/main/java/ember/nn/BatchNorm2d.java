package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ChannelShape;
import java.util.List;

/**
 * Batch normalisation over NCHW batches, as torch.nn.BatchNorm2d (momentum 0.1, eps 1e-5):
 * batch statistics in training, running statistics in evaluation. Its running mean and
 * variance are state, not parameters; they live in the model's state tensors.
 */
public final class BatchNorm2d implements AutoCloseable {
    public static final float MOMENTUM = 0.1f;
    public static final float EPS = 1e-5f;

    private final Backend backend;
    private final int channels;
    private final int pixels;
    private final Parameters.Param gamma;
    private final Parameters.Param beta;
    private final Buffer runningMean;
    private final Buffer runningVar;
    private final Buffer savedMean;
    private final Buffer savedInvStd;
    // Per channel, y = x·scale + shift, for a convolution to apply as it reads x (normalizeLater).
    private final Buffer scale;
    private final Buffer shift;

    public BatchNorm2d(Backend backend, int channels, int pixels, Parameters params, NamedTensors state, String prefix) {
        this.backend = backend;
        this.channels = channels;
        this.pixels = pixels;
        this.gamma = params.get(prefix + ".weight");
        this.beta = params.get(prefix + ".bias");
        this.runningMean = state.get(prefix + ".running_mean");
        this.runningVar = state.get(prefix + ".running_var");
        this.savedMean = backend.allocate(channels);
        this.savedInvStd = backend.allocate(channels);
        this.scale = backend.allocate(channels);
        this.shift = backend.allocate(channels);
    }

    /** Trainable: weight (gamma) and bias (beta), as PyTorch names them. */
    public static List<ParamSpec> paramSpecs(String prefix, int channels) {
        return List.of(new ParamSpec(prefix + ".weight", channels), new ParamSpec(prefix + ".bias", channels));
    }

    /** State: the running statistics. */
    public static List<ParamSpec> stateSpecs(String prefix, int channels) {
        return List.of(new ParamSpec(prefix + ".running_mean", channels), new ParamSpec(prefix + ".running_var", channels));
    }

    /** PyTorch's initial values: gamma 1, beta 0, running mean 0, running variance 1. */
    public void initialize() {
        backend.fill(gamma.value(), 1f);
        backend.fill(beta.value(), 0f);
        backend.fill(runningMean, 0f);
        backend.fill(runningVar, 1f);
    }

    private ChannelShape shape(int batch) {
        return new ChannelShape(batch, channels, pixels);
    }

    /**
     * y = BN(x); in training also updates the running statistics and saves what backward needs.
     * planeSums, when not null, are x's plane sums (as the convolution before leaves them), which
     * the statistics then start from.
     */
    public void forward(Buffer x, Buffer planeSums, Buffer y, int batch, boolean training) {
        if (training) {
            backend.batchNormTraining(shape(batch), x, planeSums, gamma.value(), beta.value(), y, runningMean,
                    runningVar, savedMean, savedInvStd, MOMENTUM, EPS);
        } else {
            backend.batchNormInference(shape(batch), x, gamma.value(), beta.value(), y, runningMean, runningVar, EPS);
        }
    }

    /**
     * y = max(BN(x) + residual, 0), or max(BN(x), 0) when residual is null: the normalisation
     * with the ReLU (and residual add) after it, fused where the backend can; planeSums as in
     * {@link #forward}.
     */
    public void forwardRelu(Buffer x, Buffer planeSums, Buffer residual, Buffer y, int batch, boolean training) {
        if (training) {
            backend.batchNormReluTraining(shape(batch), x, planeSums, gamma.value(), beta.value(), residual, y,
                    runningMean, runningVar, savedMean, savedInvStd, MOMENTUM, EPS);
            return;
        }
        backend.batchNormInference(shape(batch), x, gamma.value(), beta.value(), y, runningMean, runningVar, EPS);
        if (residual != null) {
            backend.add(y, residual, y);
        }
        backend.relu(y, y);
    }

    /**
     * Takes the statistics (in training, as {@link #forward} does) but writes no output: relu(BN(x))
     * is left for the convolution that reads it next to apply, through {@link #scale()} and
     * {@link #shift()}, as it reads x. That saves writing the output and reading it back.
     */
    public void normalizeLater(Buffer x, Buffer planeSums, int batch, boolean training) {
        if (training) {
            backend.batchNormTrainingScaleShift(shape(batch), x, planeSums, gamma.value(), beta.value(), runningMean,
                    runningVar, savedMean, savedInvStd, scale, shift, MOMENTUM, EPS);
        } else {
            backend.batchNormInferenceScaleShift(gamma.value(), beta.value(), runningMean, runningVar, EPS, scale,
                    shift);
        }
    }

    /** Per channel, the scale of the last {@link #normalizeLater}. */
    public Buffer scale() {
        return scale;
    }

    /** Per channel, the shift of the last {@link #normalizeLater}. */
    public Buffer shift() {
        return shift;
    }

    /**
     * Backward of the last training {@link #forwardRelu} without a residual, or of {@link
     * #normalizeLater} and the ReLU applied with it: overwrites dx, may overwrite dy, adds into
     * the gamma and beta gradients.
     */
    public void backwardRelu(Buffer x, Buffer dy, Buffer dx, int batch) {
        backend.batchNormReluBackward(shape(batch), x, dy, gamma.value(), beta.value(), savedMean, savedInvStd, dx,
                gamma.grad(), beta.grad());
    }

    /** Backward of the last training forward: overwrites dx, adds into the gamma and beta gradients. */
    public void backward(Buffer x, Buffer dy, Buffer dx, int batch) {
        backend.batchNormBackward(shape(batch), x, dy, gamma.value(), savedMean, savedInvStd, dx, gamma.grad(), beta.grad());
    }

    @Override
    public void close() {
        savedMean.close();
        savedInvStd.close();
        scale.close();
        shift.close();
    }
}
