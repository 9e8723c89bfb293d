// SGD with PyTorch semantics over the flat parameter buffer, the rate read from device memory:
//   g' = g + weight_decay * p;  v = momentum * v + g';  p -= lr * v   (no momentum: p -= lr * g')
// Launcher: ember.backend.opencl.OpenClBackend.

__kernel void ember_sgd_step(__global float* params, int po, __global const float* grads, int go,
                             __global float* velocity, int vo, int n, __global const float* lr, int lro,
                             float momentum, float weight_decay, int use_momentum) {
    int i = get_global_id(0);
    if (i >= n) return;
    float p = params[po + i];
    float v = use_momentum ? velocity[vo + i] : 0.0f;
    EMBER_SGD_STEP(p, grads[go + i], v, lr[lro], momentum, weight_decay, use_momentum);
    params[po + i] = p;
    if (use_momentum) velocity[vo + i] = v;
}
