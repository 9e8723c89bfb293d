package ember.backend;

import java.util.Set;
import java.util.stream.Collectors;

/**
 * The ops every backend writes itself (docs/backends.md): memory, GEMM, the convolution's three
 * passes, batch norm's three, and the elementwise, pooling, loss and optimizer ops. Everything
 * else on {@link Backend} is a fusion with a default composed from these. A backend that has not
 * written some yet says so in {@link Backend#lacks()}, so a {@link Job} can refuse it before it starts.
 */
public enum Primitive {
    ALLOCATE("allocate"), WRITE("write"), READ("read"), FILL("fill"),
    GEMM("gemm"),
    CONV2D("conv2d"), CONV2D_BACKWARD_DATA("conv2dBackwardData"), CONV2D_BACKWARD_FILTER("conv2dBackwardFilter"),
    BATCH_NORM_TRAINING("batchNormTraining"), BATCH_NORM_INFERENCE("batchNormInference"),
    BATCH_NORM_BACKWARD("batchNormBackward"),
    ADD_BIAS("addBias"), SUM_ROWS("sumRows"), ADD("add"), RELU("relu"), RELU_BACKWARD("reluBackward"),
    TANH("tanh"), TANH_BACKWARD("tanhBackward"), GATHER_ROWS("gatherRows"),
    GLOBAL_AVG_POOL("globalAvgPool"), GLOBAL_AVG_POOL_BACKWARD("globalAvgPoolBackward"),
    MSE_LOSS("mseLoss"), MSE_BACKWARD("mseBackward"), SOFTMAX_CROSS_ENTROPY("softmaxCrossEntropy"),
    SGD_STEP("sgdStep");

    private final String method;

    Primitive(String method) {
        this.method = method;
    }

    /** The {@link Backend} method that implements it. */
    public String method() {
        return method;
    }

    /** "conv2d, batchNormTraining", in declaration order. */
    public static String names(Set<Primitive> primitives) {
        return primitives.stream().sorted().map(Primitive::method).collect(Collectors.joining(", "));
    }
}
