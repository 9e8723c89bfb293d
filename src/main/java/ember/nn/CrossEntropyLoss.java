package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;

/**
 * Softmax cross-entropy over class logits, mean over the batch, as torch.nn.functional.cross_entropy,
 * fused with its gradient. The loss and the count of correct predictions are written to a
 * two-value stats buffer on the device, to be read when the caller chooses.
 */
public final class CrossEntropyLoss {
    private final Backend backend;
    private final int classes;

    public CrossEntropyLoss(Backend backend, int classes) {
        this.backend = backend;
        this.classes = classes;
    }

    /** stats[0] = mean loss, stats[1] = correct predictions; dLogits is overwritten with ∂loss/∂logits. */
    public void forwardBackward(Buffer logits, Buffer labels, Buffer dLogits, Buffer stats, int batch) {
        backend.softmaxCrossEntropy(batch, classes, logits, labels, dLogits, stats);
    }
}
