package ember.backend.cpu;

import ember.backend.BatchNormTensors;
import ember.backend.Buffer;
import ember.backend.ConvShape;
import ember.backend.NormReluConv;

/**
 * The CPU's conv(relu(BN(x))): the batch norm leaves only a per-channel scale and shift, which
 * the convolution applies with the ReLU as it reads x (forward and weight gradient), so the
 * normalised activation is never written nor read back. The backward pass recomputes the ReLU's
 * mask from x, and the convolution's backward takes the batch norm's sums from each plane of its
 * gradient as it writes it, so the batch norm's backward reads that gradient once, not twice.
 * The scale and shift of the last forward, the normalised input's gradient and its sums are
 * this object's own.
 */
final class CpuNormReluConv implements NormReluConv {
    private final CpuBackend cpu;
    private final ConvShape largest;
    private final Buffer scale;
    private final Buffer shift;
    private final Buffer hiddenGrad;
    /** The sums the batch norm's backward needs from each plane of hiddenGrad, left by the convolution's backward. */
    private final float[] hiddenGradSums;

    CpuNormReluConv(CpuBackend cpu, ConvShape largest) {
        this.cpu = cpu;
        this.largest = largest;
        this.scale = cpu.allocate(largest.inChannels());
        this.shift = cpu.allocate(largest.inChannels());
        this.hiddenGrad = cpu.allocate(largest.inputSize());
        this.hiddenGradSums = new float[2 * largest.batch() * largest.inChannels()];
    }

    @Override
    public void forwardTraining(int batch, Buffer x, Buffer xStats, BatchNormTensors norm, Buffer w, Buffer y,
                                Buffer yStats) {
        ConvShape s = largest.withBatch(batch);
        cpu.batchNormTrainingScaleShift(s.input(), x, xStats, norm.gamma(), norm.beta(), norm.runningMean(),
                norm.runningVar(), norm.savedMean(), norm.savedInvStd(), scale, shift, norm.momentum(), norm.eps());
        cpu.conv2d(s, x, scale, shift, w, y, yStats);
    }

    @Override
    public void forwardInference(int batch, Buffer x, BatchNormTensors norm, Buffer w, Buffer y) {
        cpu.batchNormInferenceScaleShift(norm.gamma(), norm.beta(), norm.runningMean(), norm.runningVar(), norm.eps(),
                scale, shift);
        cpu.conv2d(largest.withBatch(batch), x, scale, shift, w, y, null);
    }

    @Override
    public void backward(int batch, Buffer x, Buffer dy, BatchNormTensors norm, Buffer w, Buffer dx, Buffer dw) {
        ConvShape s = largest.withBatch(batch);
        Buffer dh = hiddenGrad.slice(0, s.inputSize());
        cpu.conv2dBackward(s, x, scale, shift, norm.savedMean(), dy, w, dh, dw, hiddenGradSums);
        cpu.batchNormReluBackward(s.input(), x, dh, norm.gamma(), norm.beta(), norm.savedMean(),
                norm.savedInvStd(), dx, norm.gammaGrad(), norm.betaGrad(), hiddenGradSums);
    }

    @Override
    public void close() {
        scale.close();
        shift.close();
        hiddenGrad.close();
    }
}
