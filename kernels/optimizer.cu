// Optimizer updates over flat parameter buffers. Launchers: ember.backend.cuda.Optimizer.

// One SGD step with PyTorch semantics, fused into one pass over params, grads and velocity:
//   g' = g + weight_decay * p;  v = momentum * v + g';  p -= lr * v   (momentum 0: p -= lr * g')
// velocity is not touched (and may be null) when use_momentum is 0.
extern "C" __global__ void ember_sgd_step(float* params, const float* grads, float* velocity, int n,
                                          float lr, float momentum, float weight_decay, int use_momentum) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float p = params[i];
        float step = grads[i] + weight_decay * p;
        if (use_momentum) {
            step = momentum * velocity[i] + step;
            velocity[i] = step;
        }
        params[i] = p - lr * step;
    }
}
