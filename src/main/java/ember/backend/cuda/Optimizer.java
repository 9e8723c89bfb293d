package ember.backend.cuda;

import ember.backend.Buffer;
import ember.backend.Checks;
import jcuda.driver.CUfunction;

/** Launchers for kernels/optimizer.cu; the names are its extern "C" kernels. */
final class Optimizer {
    static final String SGD_STEP = "ember_sgd_step";
    static final java.util.List<String> KERNELS = java.util.List.of(SGD_STEP);

    private final Launcher launcher;
    private final CUfunction sgdStep;

    Optimizer(Launcher launcher) {
        this.launcher = launcher;
        sgdStep = launcher.function(SGD_STEP);
    }

    /** Weight decay, momentum and the step in one launch over the flat buffers; lr[0] is the rate. */
    void sgdStep(Buffer params, Buffer grads, Buffer velocity, Buffer lr, float momentum, float weightDecay) {
        Checks.sameLength("sgdStep", params, grads);
        Checks.atLeast("sgdStep", "lr", lr, 1);
        boolean useMomentum = momentum != 0;
        if (useMomentum) {
            Checks.sameLength("sgdStep", params, velocity);
        }
        launcher.launch1d(sgdStep, params.length(), CudaBuffer.of(params), CudaBuffer.of(grads),
                useMomentum ? CudaBuffer.of(velocity) : null, params.length(), CudaBuffer.of(lr), momentum, weightDecay,
                useMomentum ? 1 : 0);
    }
}
