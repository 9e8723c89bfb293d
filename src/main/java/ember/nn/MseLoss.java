package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;

/** Mean squared error over every element of a batch, as torch.nn.MSELoss(reduction="mean"). */
public final class MseLoss {
    private final Backend backend;

    public MseLoss(Backend backend) {
        this.backend = backend;
    }

    /** Writes mean((pred − target)²) into loss[0]; the value stays on the device until read. */
    public void forward(Buffer pred, Buffer target, Buffer loss) {
        backend.mseLoss(pred, target, loss);
    }

    /** Overwrites dpred with ∂loss/∂pred. */
    public void backward(Buffer pred, Buffer target, Buffer dpred) {
        backend.mseBackward(pred, target, dpred);
    }
}
