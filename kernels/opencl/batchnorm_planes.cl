// Batch norm's per-channel sums for CPU devices (PoCL), in two steps with no barrier: one
// work-item per (image, channel) plane sums its contiguous pixels with 16-wide loads (lanes then
// summed in a fixed tree, ember_lanes16 of conv_direct.cl), then one work-item per channel adds
// its batch of plane sums in image order and finishes as the per-channel work-groups of
// ember_resnet_ops.h do. Every loop's trip count is the same for all work-items, so the loads
// stay whole vectors; the work-groups walk with work-item-dependent counts, which PoCL runs one
// scalar value at a time. GPUs use those. Launcher: ember.backend.opencl.OpenClBackend.

// part[plane] = the sum over the plane of x, or of (x - centre[c])^2 where with_centre.
__kernel void ember_plane_sums(int planes, int channels, int pixels, EMBER_IN(x), int with_centre,
                               EMBER_IN(centre), EMBER_OUT(part)) {
    EMBER_VIEW_IN(x);
    EMBER_VIEW_IN(centre);
    EMBER_VIEW_OUT(part);
    int plane = get_global_id(0);
    if (plane >= planes) return;
    __global const float* p = x + plane * pixels;
    float mean = with_centre ? centre[plane % channels] : 0.0f;
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
    part[plane] = sum;
}

// The batch's sum of lane `lane` of channel c's plane sums (stride per plane), image after image.
float ember_batch_sum(__global const float* part, int batch, int channels, int c, int stride, int lane) {
    float sum = 0.0f;
    for (int n = 0; n < batch; n++) sum += part[(n * channels + c) * stride + lane];
    return sum;
}

// saved_mean[c] from the plane sums of x.
__kernel void ember_plane_mean(int batch, int channels, int pixels, EMBER_IN(part), EMBER_OUT(saved_mean)) {
    EMBER_VIEW_IN(part);
    EMBER_VIEW_OUT(saved_mean);
    int c = get_global_id(0);
    if (c >= channels) return;
    saved_mean[c] = ember_batch_sum(part, batch, channels, c, 1, 0) / (batch * pixels);
}

// The rest of the statistics from the plane sums of squared deviations from saved_mean.
__kernel void ember_plane_variance(int batch, int channels, int pixels, EMBER_IN(part), EMBER_OUT(running_mean),
                                   EMBER_OUT(running_var), EMBER_OUT(saved_mean), EMBER_OUT(saved_inv_std),
                                   float momentum, float eps) {
    EMBER_VIEW_IN(part);
    EMBER_VIEW_OUT(running_mean);
    EMBER_VIEW_OUT(running_var);
    EMBER_VIEW_OUT(saved_mean);
    EMBER_VIEW_OUT(saved_inv_std);
    int c = get_global_id(0);
    if (c >= channels) return;
    float squares = ember_batch_sum(part, batch, channels, c, 1, 0);
    ember_finish_statistics(c, batch * pixels, saved_mean[c], squares, running_mean, running_var, saved_mean,
                            saved_inv_std, momentum, eps);
}

// part[2 plane] = the sum over the plane of g, part[2 plane + 1] of g * xhat, with g = dy, or dy
// masked where the forward output y is not positive when with_relu (y is read either way).
__kernel void ember_plane_backward_sums(int planes, int channels, int pixels, EMBER_IN(x), EMBER_IN(dy),
                                        int with_relu, EMBER_IN(y), EMBER_IN(saved_mean), EMBER_IN(saved_inv_std),
                                        EMBER_OUT(part)) {
    EMBER_VIEW_IN(x);
    EMBER_VIEW_IN(dy);
    EMBER_VIEW_IN(y);
    EMBER_VIEW_IN(saved_mean);
    EMBER_VIEW_IN(saved_inv_std);
    EMBER_VIEW_OUT(part);
    int plane = get_global_id(0);
    if (plane >= planes) return;
    int c = plane % channels, at = plane * pixels;
    float mean = saved_mean[c], inv_std = saved_inv_std[c];
    float16 g16 = (float16) (0.0f), gx16 = (float16) (0.0f);
    int q = 0;
    for (; q + 16 <= pixels; q += 16) {
        float16 g = vload16(0, dy + at + q), after = vload16(0, y + at + q);
        if (with_relu) g = select((float16) (0.0f), g, after > 0.0f);
        g16 += g;
        gx16 += g * (vload16(0, x + at + q) - mean) * inv_std;
    }
    float sum_g = ember_lanes16(g16), sum_gx = ember_lanes16(gx16);
    for (; q < pixels; q++) {
        float g = dy[at + q];
        if (with_relu) g = EMBER_RELU_BACKWARD(y[at + q], g);
        sum_g += g;
        sum_gx += g * (x[at + q] - mean) * inv_std;
    }
    part[2 * plane] = sum_g;
    part[2 * plane + 1] = sum_gx;
}

// The channel's backward sums from the plane sums, finished as the per-channel work-groups do.
__kernel void ember_plane_backward_finish(int batch, int channels, EMBER_IN(part), EMBER_OUT(sums),
                                          EMBER_OUT(dgamma), EMBER_OUT(dbeta)) {
    EMBER_VIEW_IN(part);
    EMBER_VIEW_OUT(sums);
    EMBER_VIEW_OUT(dgamma);
    EMBER_VIEW_OUT(dbeta);
    int c = get_global_id(0);
    if (c >= channels) return;
    ember_finish_backward_sums(c, ember_batch_sum(part, batch, channels, c, 2, 0),
                               ember_batch_sum(part, batch, channels, c, 2, 1), sums, dgamma, dbeta);
}
