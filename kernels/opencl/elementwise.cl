// Elementwise ops, one work-item per element (or per row or column where a loop sums); the
// arithmetic they share with the CUDA kernels is in kernels/ember_elementwise.h.
// Launchers: ember.backend.opencl.OpenClBackend. Every buffer comes as (pointer, offset in floats):
// views of one allocation at any float offset, which OpenCL 1.2 sub-buffers cannot give.

__kernel void ember_fill(__global float* x, int xo, int n, float value) {
    int i = get_global_id(0);
    if (i < n) x[xo + i] = value;
}

__kernel void ember_add_bias(__global float* y, int yo, __global const float* bias, int bo, int rows, int cols) {
    int i = get_global_id(0);
    if (i < rows * cols) y[yo + i] += bias[bo + i % cols];
}

// One work-item per column, rows summed in order: deterministic, no atomics (OpenCL 1.2 has no float ones).
__kernel void ember_sum_rows(__global const float* dy, int dyo, __global float* grad, int go, int rows, int cols) {
    int c = get_global_id(0);
    if (c >= cols) return;
    float sum = 0.0f;
    for (int r = 0; r < rows; r++) sum += dy[dyo + r * cols + c];
    grad[go + c] += sum;
}

__kernel void ember_relu(__global const float* x, int xo, __global float* y, int yo, int n) {
    int i = get_global_id(0);
    if (i < n) y[yo + i] = EMBER_RELU(x[xo + i]);
}

__kernel void ember_relu_backward(__global const float* x, int xo, __global const float* dy, int dyo,
                                  __global float* dx, int dxo, int n) {
    int i = get_global_id(0);
    if (i < n) dx[dxo + i] = EMBER_RELU_BACKWARD(x[xo + i], dy[dyo + i]);
}

__kernel void ember_tanh(__global const float* x, int xo, __global float* y, int yo, int n) {
    int i = get_global_id(0);
    if (i < n) y[yo + i] = tanh(x[xo + i]);
}

__kernel void ember_tanh_backward(__global const float* y, int yo, __global const float* dy, int dyo,
                                  __global float* dx, int dxo, int n) {
    int i = get_global_id(0);
    if (i < n) dx[dxo + i] = EMBER_TANH_BACKWARD(y[yo + i], dy[dyo + i]);
}

// out[i, :] = table[indices[i], :]; an index that is not an integer in [0, rows) is recorded in
// fault (EMBER_FAULT_GATHER_INDEX, the index's bits, rows) for the host to report at its next read, and skipped.
__kernel void ember_gather_rows(__global const float* table, int to, int rows, __global const float* indices, int io,
                                __global float* out, int oo, int width, int count, __global int* fault) {
    int i = get_global_id(0);
    if (i >= count * width) return;
    int row = i / width, col = i % width;
    float index = indices[io + row];
    int r = (int) index;
    if ((float) r != index || r < 0 || r >= rows) {
        ember_record_fault(fault, EMBER_FAULT_GATHER_INDEX, as_int(index), rows);
        return;
    }
    out[oo + i] = table[to + r * width + col];
}
