// The MSE loss of exp1 (softmax cross-entropy is shared with CUDA: kernels/ember_resnet_ops.h).
// Launchers: ember.backend.opencl.OpenClBackend. The reduction runs on one work-item, in order:
// deterministic.

__kernel void ember_mse_loss(__global const float* pred, int po, __global const float* target, int to, int n,
                             __global float* loss, int lo) {
    if (get_global_id(0) != 0) return;
    float sum = 0.0f, c = 0.0f; // Kahan: n may be large
    for (int i = 0; i < n; i++) {
        float d = pred[po + i] - target[to + i];
        float term = d * d - c;
        float t = sum + term;
        c = (t - sum) - term;
        sum = t;
    }
    loss[lo] = sum / n;
}

__kernel void ember_mse_backward(__global const float* pred, int po, __global const float* target, int to,
                                 __global float* dpred, int dpo, int n) {
    int i = get_global_id(0);
    if (i < n) dpred[dpo + i] = EMBER_MSE_GRADIENT(pred[po + i], target[to + i], n);
}
