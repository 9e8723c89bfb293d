// Elementwise and per-row/column ops over float32 buffers. Launchers: ember.backend.cuda.Elementwise.
// Kernels hold no policy: the Java launcher checks shapes and picks the grid; every kernel
// bounds-checks its own index, so any grid that covers the range is correct.
#include "common.cuh"
#include "ember_elementwise.h"

// x[i] = value
extern "C" __global__ void ember_fill(float* x, int n, float value) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        x[i] = value;
    }
}

// y[r, c] += bias[c] for a row-major rows x cols matrix (n = rows * cols)
extern "C" __global__ void ember_add_bias(float* y, const float* bias, int n, int cols) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        y[i] += bias[i % cols];
    }
}

// grad[c] += sum_r dy[r, c]. Block (32, SUM_ROWS_Y): threadIdx.x picks a column (coalesced
// reads along a row), threadIdx.y strides over rows, then the partial sums meet in shared memory.
// One block owns its 32 columns, so the accumulation into grad needs no atomics.
#define SUM_ROWS_Y 8
extern "C" __global__ void ember_sum_rows(const float* dy, float* grad, int rows, int cols) {
    __shared__ float partial[SUM_ROWS_Y][32];
    int c = blockIdx.x * 32 + threadIdx.x;
    float sum = 0.f;
    if (c < cols) {
        for (int r = threadIdx.y; r < rows; r += SUM_ROWS_Y) {
            sum += dy[(size_t) r * cols + c];
        }
    }
    partial[threadIdx.y][threadIdx.x] = sum;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float total = 0.f;
        for (int k = 0; k < SUM_ROWS_Y; k++) {
            total += partial[k][threadIdx.x];
        }
        grad[c] += total;
    }
}

// y = max(x, 0); y may alias x
extern "C" __global__ void ember_relu(const float* x, float* y, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        y[i] = EMBER_RELU(x[i]);
    }
}

// dx = dy where x > 0, else 0; dx may alias dy
extern "C" __global__ void ember_relu_backward(const float* x, const float* dy, float* dx, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        dx[i] = EMBER_RELU_BACKWARD(x[i], dy[i]);
    }
}

// y = tanh(x); y may alias x
extern "C" __global__ void ember_tanh(const float* x, float* y, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        y[i] = tanhf(x[i]);
    }
}

// dx = dy * (1 - y^2) from the forward output y; dx may alias dy
extern "C" __global__ void ember_tanh_backward(const float* y, const float* dy, float* dx, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float t = y[i];
        dx[i] = EMBER_TANH_BACKWARD(t, dy[i]);
    }
}

// out[i, :] = table[indices[i], :]. A kernel cannot throw, so a bad index (not an integer, or
// outside 0..rows-1) zero-fills its row and is recorded in fault[]; the host raises it at the
// next read, naming the index.
extern "C" __global__ void ember_gather_rows(const float* table, int rows, const float* indices, int count,
                                             float* out, int width, int* fault) {
    int n = count * width;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        int slot = i / width;
        float index = indices[slot];
        int row = (int) index;
        if ((float) row != index || row < 0 || row >= rows) {
            out[i] = 0.f;
            ember_record_fault(fault, EMBER_FAULT_GATHER_INDEX, __float_as_int(index), rows);
        } else {
            out[i] = table[(size_t) row * width + (i - slot * width)];
        }
    }
}
