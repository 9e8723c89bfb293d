// Batch normalisation over NCHW batches, per channel over batch and pixels, as torch.nn.BatchNorm2d.
// The per-channel reductions run one work-item per channel over its batch * pixels values, in a
// fixed order with compensated (Kahan) sums: deterministic, and no local-memory reductions (PoCL
// 3.1 gets some wrong). Launcher: ember.backend.opencl.OpenClBackend.

#define KAHAN_ADD(sum, comp, value) { float t_ = (value) - comp; float s_ = sum + t_; comp = (s_ - sum) - t_; sum = s_; }

// Batch mean and 1/sqrt(biased var + eps) saved; running stats updated with the unbiased variance.
__kernel void ember_batch_norm_statistics(int batch, int channels, int pixels, __global const float* x, int xo,
                                          __global float* running_mean, int rmo, __global float* running_var, int rvo,
                                          __global float* saved_mean, int smo, __global float* saved_inv_std, int sio,
                                          float momentum, float eps) {
    int c = get_global_id(0);
    if (c >= channels) return;
    int m = batch * pixels;
    float sum = 0.0f, comp = 0.0f;
    for (int n = 0; n < batch; n++) {
        __global const float* plane = x + xo + (n * channels + c) * pixels;
        for (int q = 0; q < pixels; q++) KAHAN_ADD(sum, comp, plane[q]);
    }
    float mean = sum / m;
    float squares = 0.0f, comp2 = 0.0f;
    for (int n = 0; n < batch; n++) {
        __global const float* plane = x + xo + (n * channels + c) * pixels;
        for (int q = 0; q < pixels; q++) {
            float d = plane[q] - mean;
            KAHAN_ADD(squares, comp2, d * d);
        }
    }
    float unbiased = m > 1 ? squares / (m - 1) : squares / m;
    running_mean[rmo + c] = (1.0f - momentum) * running_mean[rmo + c] + momentum * mean;
    running_var[rvo + c] = (1.0f - momentum) * running_var[rvo + c] + momentum * unbiased;
    saved_mean[smo + c] = mean;
    saved_inv_std[sio + c] = 1.0f / sqrt(squares / m + eps);
}

// y = (x - mean) * inv_std * gamma + beta, from the saved (training) or running (inference) statistics.
__kernel void ember_batch_norm_apply(int batch, int channels, int pixels, __global const float* x, int xo,
                                     __global const float* gamma, int go, __global const float* beta, int bo,
                                     __global const float* mean, int mo, __global const float* spread, int so,
                                     int spread_is_variance, float eps, __global float* y, int yo) {
    int i = get_global_id(0);
    if (i >= batch * channels * pixels) return;
    int c = i / pixels % channels;
    float inv_std = spread_is_variance ? 1.0f / sqrt(spread[so + c] + eps) : spread[so + c];
    y[yo + i] = (x[xo + i] - mean[mo + c]) * inv_std * gamma[go + c] + beta[bo + c];
}

// Per channel: sum(dy) and sum(dy * xhat) into sums (2 per channel); dgamma and dbeta accumulate.
__kernel void ember_batch_norm_backward_sums(int batch, int channels, int pixels, __global const float* x, int xo,
                                             __global const float* dy, int dyo, __global const float* saved_mean,
                                             int smo, __global const float* saved_inv_std, int sio,
                                             __global float* sums, __global float* dgamma, int dgo,
                                             __global float* dbeta, int dbo) {
    int c = get_global_id(0);
    if (c >= channels) return;
    float mean = saved_mean[smo + c], inv_std = saved_inv_std[sio + c];
    float sum_dy = 0.0f, comp = 0.0f, sum_dy_xhat = 0.0f, comp2 = 0.0f;
    for (int n = 0; n < batch; n++) {
        int plane = (n * channels + c) * pixels;
        for (int q = 0; q < pixels; q++) {
            float g = dy[dyo + plane + q];
            KAHAN_ADD(sum_dy, comp, g);
            KAHAN_ADD(sum_dy_xhat, comp2, g * (x[xo + plane + q] - mean) * inv_std);
        }
    }
    sums[2 * c] = sum_dy;
    sums[2 * c + 1] = sum_dy_xhat;
    dgamma[dgo + c] += sum_dy_xhat;
    dbeta[dbo + c] += sum_dy;
}

// dx = gamma * inv_std * (dy - sum(dy)/m - xhat * sum(dy * xhat)/m)
__kernel void ember_batch_norm_backward_data(int batch, int channels, int pixels, __global const float* x, int xo,
                                             __global const float* dy, int dyo, __global const float* gamma, int go,
                                             __global const float* saved_mean, int smo,
                                             __global const float* saved_inv_std, int sio,
                                             __global const float* sums, __global float* dx, int dxo) {
    int i = get_global_id(0);
    if (i >= batch * channels * pixels) return;
    int c = i / pixels % channels;
    float m = (float) (batch * pixels), inv_std = saved_inv_std[sio + c];
    float xhat = (x[xo + i] - saved_mean[smo + c]) * inv_std;
    dx[dxo + i] = gamma[go + c] * inv_std * (dy[dyo + i] - sums[2 * c] / m - xhat * sums[2 * c + 1] / m);
}
