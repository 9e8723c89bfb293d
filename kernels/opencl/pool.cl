// Global average pooling over the planes of an NCHW batch. Launcher: ember.backend.opencl.OpenClBackend.

__kernel void ember_global_avg_pool(int planes, int pixels, __global const float* x, int xo, __global float* y,
                                    int yo) {
    int plane = get_global_id(0);
    if (plane >= planes) return;
    float sum = 0.0f;
    for (int q = 0; q < pixels; q++) sum += x[xo + plane * pixels + q];
    y[yo + plane] = sum / pixels;
}

__kernel void ember_global_avg_pool_backward(int planes, int pixels, __global const float* dy, int dyo,
                                             __global float* dx, int dxo) {
    int i = get_global_id(0);
    if (i < planes * pixels) dx[dxo + i] = dy[dyo + i / pixels] / pixels;
}
