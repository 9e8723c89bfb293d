package ember.backend;

/**
 * One batch norm's tensors as its ops take them: the parameters and their gradients (which
 * accumulate), the running statistics (state), the batch statistics a training forward saves
 * for the backward pass, and PyTorch's momentum and eps.
 */
public record BatchNormTensors(Buffer gamma, Buffer beta, Buffer gammaGrad, Buffer betaGrad, Buffer runningMean,
                               Buffer runningVar, Buffer savedMean, Buffer savedInvStd, float momentum, float eps) {}
