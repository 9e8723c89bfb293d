package ember.backend.cuda;

import ember.backend.Buffer;
import ember.backend.Checks;
import jcuda.driver.CUfunction;

/** Launchers for kernels/loss.cu; the names are its extern "C" kernels. */
final class Loss {
    static final String MSE = "ember_mse_loss";
    static final String MSE_BACKWARD = "ember_mse_backward";
    static final java.util.List<String> KERNELS = java.util.List.of(MSE, MSE_BACKWARD);

    /** Must match MSE_THREADS in loss.cu: the reduction runs in one block of this size. */
    private static final int MSE_THREADS = 256;

    private final Launcher launcher;
    private final CUfunction mse, mseBackward;

    Loss(Launcher launcher) {
        this.launcher = launcher;
        mse = launcher.function(MSE);
        mseBackward = launcher.function(MSE_BACKWARD);
    }

    void mseLoss(Buffer pred, Buffer target, Buffer loss) {
        Checks.sameLength("mseLoss", pred, target);
        Checks.atLeast("mseLoss", "loss", loss, 1);
        if (pred.length() == 0) {
            throw new IllegalArgumentException("mseLoss: the mean of no values is undefined");
        }
        launcher.launch(mse, 1, 1, MSE_THREADS, 1, CudaBuffer.of(pred), CudaBuffer.of(target), pred.length(),
                CudaBuffer.of(loss));
    }

    void mseBackward(Buffer pred, Buffer target, Buffer dpred) {
        Checks.sameLength("mseBackward", pred, target);
        Checks.sameLength("mseBackward", pred, dpred);
        launcher.launch1d(mseBackward, pred.length(), CudaBuffer.of(pred), CudaBuffer.of(target), CudaBuffer.of(dpred),
                pred.length());
    }
}
