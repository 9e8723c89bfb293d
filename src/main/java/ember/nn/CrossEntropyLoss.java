package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;

/**
 * Softmax cross-entropy over class logits, mean over the batch, as torch.nn.functional.cross_entropy,
 * fused with its gradient. The batch's summed loss and its count of correct predictions add
 * into a two-value buffer on the device, to be read when the caller chooses (once per epoch).
 */
public final class CrossEntropyLoss {
    private final Backend backend;
    private final int classes;

    public CrossEntropyLoss(Backend backend, int classes) {
        this.backend = backend;
        this.classes = classes;
    }

    /** sums[0] += the batch's summed loss, sums[1] += its correct predictions; dLogits = ∂(mean loss)/∂logits. */
    public void forwardBackward(Buffer logits, Buffer labels, Buffer dLogits, Buffer sums, int batch) {
        backend.softmaxCrossEntropy(batch, classes, logits, labels, dLogits, sums);
    }
}
