// Batch norm's per-channel sums for CPU devices (PoCL), in two steps with no barrier: one
// work-item per (image, channel) plane sums its contiguous pixels with 16-wide loads (lanes then
// summed in a fixed tree, ember_lanes16 of conv_direct.cl), then one work-item per channel adds
// its batch of plane sums in image order. Every loop's trip count is the same for all work-items,
// so the loads stay whole vectors; the per-channel work-groups of ember_resnet_ops.h walk with
// work-item-dependent counts, which PoCL runs one scalar value at a time. GPUs use those.
// Launcher: ember.backend.opencl.OpenClBackend.

// part[plane] = the sum over the plane of x, or of (x - centre[c])^2 where with_centre.
__kernel void ember_plane_sums(int planes, int channels, int pixels, __global const float* x, int xo,
                               int with_centre, __global const float* centre, int co,
                               __global float* part, int parto) {
    int plane = get_global_id(0);
    if (plane >= planes) return;
    __global const float* p = x + xo + plane * pixels;
    float mean = with_centre ? centre[co + plane % channels] : 0.0f;
    float16 acc = (float16) (0.0f);
    int q = 0;
    for (; q + 16 <= pixels; q += 16) {
        float16 v = vload16(0, p + q);
        acc += with_centre ? (v - mean) * (v - mean) : v;
    }
    float sum = ember_lanes16(acc);
    for (; q < pixels; q++) {
        float v = p[q];
        sum += with_centre ? (v - mean) * (v - mean) : v;
    }
    part[parto + plane] = sum;
}

// The batch's sum of channel c's plane sums, image after image.
float ember_batch_sum(__global const float* part, int batch, int channels, int c, int stride, int lane) {
    float sum = 0.0f;
    for (int n = 0; n < batch; n++) sum += part[(n * channels + c) * stride + lane];
    return sum;
}

// saved_mean[c] from the plane sums of x.
__kernel void ember_plane_mean(int batch, int channels, int pixels, __global const float* part, int parto,
                               __global float* saved_mean, int smo) {
    int c = get_global_id(0);
    if (c >= channels) return;
    saved_mean[smo + c] = ember_batch_sum(part + parto, batch, channels, c, 1, 0) / (batch * pixels);
}

// From the plane sums of squared deviations from saved_mean: saved_inv_std, and the running
// statistics moved toward the batch's, as ember_batch_norm_statistics does.
__kernel void ember_plane_variance(int batch, int channels, int pixels, __global const float* part, int parto,
                                   __global float* running_mean, int rmo, __global float* running_var, int rvo,
                                   __global const float* saved_mean, int smo, __global float* saved_inv_std,
                                   int sio, float momentum, float eps) {
    int c = get_global_id(0);
    if (c >= channels) return;
    int m = batch * pixels;
    float squares = ember_batch_sum(part + parto, batch, channels, c, 1, 0);
    float unbiased = m > 1 ? squares / (m - 1) : squares / m;
    running_mean[rmo + c] = (1.0f - momentum) * running_mean[rmo + c] + momentum * saved_mean[smo + c];
    running_var[rvo + c] = (1.0f - momentum) * running_var[rvo + c] + momentum * unbiased;
    saved_inv_std[sio + c] = 1.0f / sqrt(squares / m + eps);
}

// part[2 plane] = the sum over the plane of g, part[2 plane + 1] of g * xhat, with g = dy, or dy
// masked where the forward output y is not positive when with_relu (y is read either way).
__kernel void ember_plane_backward_sums(int planes, int channels, int pixels, __global const float* x, int xo,
                                        __global const float* dy, int dyo, int with_relu,
                                        __global const float* y, int yo, __global const float* saved_mean,
                                        int smo, __global const float* saved_inv_std, int sio,
                                        __global float* part, int parto) {
    int plane = get_global_id(0);
    if (plane >= planes) return;
    int c = plane % channels, at = plane * pixels;
    float mean = saved_mean[smo + c], inv_std = saved_inv_std[sio + c];
    float16 g16 = (float16) (0.0f), gx16 = (float16) (0.0f);
    int q = 0;
    for (; q + 16 <= pixels; q += 16) {
        float16 g = vload16(0, dy + dyo + at + q), after = vload16(0, y + yo + at + q);
        if (with_relu) g = select((float16) (0.0f), g, after > 0.0f);
        g16 += g;
        gx16 += g * (vload16(0, x + xo + at + q) - mean) * inv_std;
    }
    float sum_g = ember_lanes16(g16), sum_gx = ember_lanes16(gx16);
    for (; q < pixels; q++) {
        float g = dy[dyo + at + q];
        if (with_relu) g = EMBER_RELU_BACKWARD(y[yo + at + q], g);
        sum_g += g;
        sum_gx += g * (x[xo + at + q] - mean) * inv_std;
    }
    part[parto + 2 * plane] = sum_g;
    part[parto + 2 * plane + 1] = sum_gx;
}

// sums[2c], sums[2c + 1] from the plane sums, as ember_batch_norm_backward_sums leaves them; dbeta
// and dgamma accumulate them.
__kernel void ember_plane_backward_finish(int batch, int channels, __global const float* part, int parto,
                                          __global float* sums, int so, __global float* dgamma, int dgo,
                                          __global float* dbeta, int dbo) {
    int c = get_global_id(0);
    if (c >= channels) return;
    float sum_g = ember_batch_sum(part + parto, batch, channels, c, 2, 0);
    float sum_gx = ember_batch_sum(part + parto, batch, channels, c, 2, 1);
    sums[so + 2 * c] = sum_g;
    sums[so + 2 * c + 1] = sum_gx;
    dgamma[dgo + c] += sum_gx;
    dbeta[dbo + c] += sum_g;
}
