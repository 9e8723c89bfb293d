// Loss forward (a reduction) and backward. Launchers: ember.backend.cuda.Loss.
#include "common.cuh"
#include "ember_elementwise.h"

#define MSE_THREADS 256

// loss[0] = mean((pred - target)^2). One block reduces everything: the sum is deterministic
// (fixed order, no atomics) and loss[0] needs no zeroing first. exp1 batches are small; a
// multi-block version can come when a model needs it.
extern "C" __global__ void ember_mse_loss(const float* pred, const float* target, int n, float* loss) {
    __shared__ float partial[MSE_THREADS];
    float sum = 0.f;
    for (int i = threadIdx.x; i < n; i += MSE_THREADS) {
        float d = pred[i] - target[i];
        sum += d * d;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = MSE_THREADS / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) {
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        loss[0] = partial[0] / (float) n;
    }
}

// dpred = 2 (pred - target) / n
extern "C" __global__ void ember_mse_backward(const float* pred, const float* target, float* dpred, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        dpred[i] = EMBER_MSE_GRADIENT(pred[i], target[i], n);
    }
}
