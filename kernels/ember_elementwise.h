// One element's arithmetic, shared by the CUDA kernels (kernels/*.cu include it) and the OpenCL
// ones (kernels/opencl/*.cl, which the OpenCL backend builds with this file in front), so both
// backends compute the same expression. Plain C that CUDA C++ and OpenCL C 1.2 both take.
#ifndef EMBER_ELEMENTWISE_H
#define EMBER_ELEMENTWISE_H

// y = max(x, 0), and its gradient: dy where x > 0, else 0 (relu'(0) = 0, as in every backend)
#define EMBER_RELU(x) ((x) > 0.0f ? (x) : 0.0f)
#define EMBER_RELU_BACKWARD(x, dy) ((x) > 0.0f ? (dy) : 0.0f)

// The gradient of y = tanh(x) from y: dy * (1 - y^2)
#define EMBER_TANH_BACKWARD(y, dy) ((dy) * (1.0f - (y) * (y)))

// The gradient of the mean squared error over n values: 2 (pred - target) / n
#define EMBER_MSE_GRADIENT(pred, target, n) ((2.0f / (float) (n)) * ((pred) - (target)))

// One SGD step with PyTorch semantics on one parameter p with gradient g (and, with momentum,
// velocity v, updated in place): g' = g + decay * p; v = momentum * v + g'; p -= lr * v
// (without momentum: p -= lr * g').
#define EMBER_SGD_STEP(p, g, v, lr, momentum, decay, use_momentum) \
    do { \
        float ember_step_ = (g) + (decay) * (p); \
        if (use_momentum) { \
            ember_step_ = (momentum) * (v) + ember_step_; \
            (v) = ember_step_; \
        } \
        (p) = (p) - (lr) * ember_step_; \
    } while (0)

#endif
