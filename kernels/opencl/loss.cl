// Losses. Launchers: ember.backend.opencl.OpenClBackend. The reductions are small (a batch of
// rows) and run on one work-item, in order: deterministic, and free of PoCL 3.1's local-memory
// reduction bugs.

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

// Softmax cross-entropy with its gradient, one work-item per row: dlogits = (softmax - onehot) / batch;
// each row's loss and whether its argmax is the label go to rowStats (2 per row).
__kernel void ember_softmax_cross_entropy(int batch, int classes, __global const float* logits, int lo,
                                          __global const float* labels, int yo, __global float* dlogits, int dlo,
                                          __global float* rowStats, __global int* fault) {
    int n = get_global_id(0);
    if (n >= batch) return;
    __global const float* row = logits + lo + n * classes;
    float labelValue = labels[yo + n];
    int label = (int) labelValue;
    if ((float) label != labelValue || label < 0 || label >= classes) {
        if (atomic_cmpxchg(&fault[0], 0, 2) == 0) {
            fault[1] = as_int(labelValue);
            fault[2] = classes;
        }
        rowStats[2 * n] = 0.0f;
        rowStats[2 * n + 1] = 0.0f;
        return;
    }
    float max = row[0];
    int argmax = 0;
    for (int c = 1; c < classes; c++) {
        if (row[c] > max) {
            max = row[c];
            argmax = c;
        }
    }
    float sum = 0.0f;
    for (int c = 0; c < classes; c++) sum += exp(row[c] - max);
    for (int c = 0; c < classes; c++) {
        float p = exp(row[c] - max) / sum;
        dlogits[dlo + n * classes + c] = (p - (c == label ? 1.0f : 0.0f)) / batch;
    }
    rowStats[2 * n] = log(sum) + max - row[label];
    rowStats[2 * n + 1] = argmax == label ? 1.0f : 0.0f;
}

// sums[0] += the rows' losses, sums[1] += their correct count, in row order.
__kernel void ember_add_row_stats(int batch, __global const float* rowStats, __global float* sums, int so) {
    if (get_global_id(0) != 0) return;
    float loss = 0.0f, correct = 0.0f;
    for (int n = 0; n < batch; n++) {
        loss += rowStats[2 * n];
        correct += rowStats[2 * n + 1];
    }
    sums[so] += loss;
    sums[so + 1] += correct;
}
