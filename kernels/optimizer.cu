#include "ember_elementwise.h"

// Optimizer updates over flat parameter buffers. Launchers: ember.backend.cuda.Optimizer.

// One SGD step with PyTorch semantics, fused into one pass over params, grads and velocity:
//   g' = g + weight_decay * p;  v = momentum * v + g';  p -= lr * v   (momentum 0: p -= lr * g')
// velocity is not touched (and may be null) when use_momentum is 0. The learning rate is read from
// device memory, so a captured step replays with whatever rate the host wrote there last.
extern "C" __global__ void ember_sgd_step(float* params, const float* grads, float* velocity, int n,
                                          const float* learning_rate, float momentum, float weight_decay,
                                          int use_momentum) {
    const float lr = *learning_rate;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float p = params[i];
        float v = use_momentum ? velocity[i] : 0.f;
        EMBER_SGD_STEP(p, grads[i], v, lr, momentum, weight_decay, use_momentum);
        params[i] = p;
        if (use_momentum) {
            velocity[i] = v;
        }
    }
}
