package ember.backend;

/**
 * {@link NormReluConv} from primitives: relu(BN(x)) is written to a buffer of its own (and its
 * gradient to another), both allocated once for the largest batch.
 */
final class ComposedNormReluConv implements NormReluConv {
    private final Backend backend;
    private final ConvShape largest;
    private final Buffer hidden;
    private final Buffer hiddenGrad;

    ComposedNormReluConv(Backend backend, ConvShape largest) {
        this.backend = backend;
        this.largest = largest;
        this.hidden = backend.allocate(largest.inputSize());
        this.hiddenGrad = backend.allocate(largest.inputSize());
    }

    @Override
    public void forwardTraining(int batch, Buffer x, Buffer xStats, BatchNormTensors norm, Buffer w, Buffer y,
                                Buffer yStats) {
        ConvShape s = largest.withBatch(batch);
        Buffer h = hidden.slice(0, s.inputSize());
        backend.batchNormTraining(s.input(), x, xStats, norm.gamma(), norm.beta(), h, norm.runningMean(),
                norm.runningVar(), norm.savedMean(), norm.savedInvStd(), norm.momentum(), norm.eps());
        backend.relu(h, h);
        backend.conv2d(s, h, w, y, yStats);
    }

    @Override
    public void forwardInference(int batch, Buffer x, BatchNormTensors norm, Buffer w, Buffer y) {
        ConvShape s = largest.withBatch(batch);
        Buffer h = hidden.slice(0, s.inputSize());
        backend.batchNormInference(s.input(), x, norm.gamma(), norm.beta(), h, norm.runningMean(),
                norm.runningVar(), norm.eps());
        backend.relu(h, h);
        backend.conv2d(s, h, w, y);
    }

    @Override
    public void backward(int batch, Buffer x, Buffer dy, BatchNormTensors norm, Buffer w, Buffer dx, Buffer dw) {
        ConvShape s = largest.withBatch(batch);
        Buffer h = hidden.slice(0, s.inputSize()), dh = hiddenGrad.slice(0, s.inputSize());
        // Through the ReLU as dh is written: h is the ReLU's output.
        backend.conv2dBackward(s, h, dy, w, null, true, dh, dw);
        backend.batchNormBackward(s.input(), x, dh, norm.gamma(), norm.savedMean(), norm.savedInvStd(), dx,
                norm.gammaGrad(), norm.betaGrad());
    }

    @Override
    public void close() {
        hidden.close();
        hiddenGrad.close();
    }
}
