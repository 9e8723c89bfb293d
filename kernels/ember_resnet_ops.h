// The ResNet's ops besides convolution, written once for both backends in the words of
// ember_dialect.h: CUDA builds them from kernels/resnet.cu (launchers: ember.backend.cuda.ResNetOps),
// the OpenCL backend from its program (launchers: ember.backend.opencl.OpenClBackend). Tensors
// are NCHW float32. Reductions run one block of EMBER_BLOCK threads per channel (or row), each
// thread striding over the channel's values, then a tree of fixed shape: the same sums in the
// same order every run, so training is deterministic on a given device. Every thread of a block
// reaches every barrier (no early return before one), and the tree has no loop around its
// barriers: the two shapes PoCL 3.1 gets wrong.
#ifndef EMBER_RESNET_OPS_H
#define EMBER_RESNET_OPS_H

// One step of the tree: the lower half of the live threads add the upper half's values.
#define EMBER_TREE_STEP(scratch, t, s) \
    if ((t) < (s)) (scratch)[t] += (scratch)[(t) + (s)]; \
    EMBER_BARRIER();

// The sum of value over the block, returned to every thread. EMBER_BLOCK must be 256.
EMBER_DEVICE float ember_block_sum(float value, EMBER_SHARED_PTR scratch) {
    int t = EMBER_LOCAL_ID;
    scratch[t] = value;
    EMBER_BARRIER();
    EMBER_TREE_STEP(scratch, t, 128)
    EMBER_TREE_STEP(scratch, t, 64)
    EMBER_TREE_STEP(scratch, t, 32)
    EMBER_TREE_STEP(scratch, t, 16)
    EMBER_TREE_STEP(scratch, t, 8)
    EMBER_TREE_STEP(scratch, t, 4)
    EMBER_TREE_STEP(scratch, t, 2)
    EMBER_TREE_STEP(scratch, t, 1)
    float total = scratch[0];
    EMBER_BARRIER(); // everyone has read the total before scratch is written again
    return total;
}

// A thread's walk over one channel's values, as (image n, pixel q): it starts at the thread's
// own index into the channel's batch * pixels values and steps EMBER_BLOCK values at a time,
// without a division per value.
#define EMBER_CHANNEL_WALK(n, q, batch, pixels) \
    for (int n = EMBER_LOCAL_ID / (pixels), q = EMBER_LOCAL_ID % (pixels); n < (batch); ember_step(&n, &q, pixels))

EMBER_DEVICE void ember_step(int* n, int* q, int pixels) {
    *q += EMBER_BLOCK;
    while (*q >= pixels) {
        *q -= pixels;
        *n += 1;
    }
}

// Channel c's statistics from the mean and the sum of squared deviations over its m values:
// mean and 1/sqrt(biased variance + eps) saved, the running statistics moved toward the batch's
// (unbiased variance), as torch.nn.BatchNorm2d. Both ways of summing end here.
EMBER_DEVICE void ember_finish_statistics(int c, int m, float mean, float squares, EMBER_GLOBAL_PTR running_mean,
                                          EMBER_GLOBAL_PTR running_var, EMBER_GLOBAL_PTR saved_mean,
                                          EMBER_GLOBAL_PTR saved_inv_std, float momentum, float eps) {
    float unbiased = m > 1 ? squares / (m - 1) : squares / m;
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
    running_var[c] = (1.0f - momentum) * running_var[c] + momentum * unbiased;
    saved_mean[c] = mean;
    saved_inv_std[c] = 1.0f / EMBER_SQRT(squares / m + eps);
}

// Channel c's backward sums, sum(g) and sum(g * xhat), kept for the backward-data pass and
// added to dbeta and dgamma.
EMBER_DEVICE void ember_finish_backward_sums(int c, float sum_g, float sum_g_xhat, EMBER_GLOBAL_PTR sums,
                                             EMBER_GLOBAL_PTR dgamma, EMBER_GLOBAL_PTR dbeta) {
    sums[2 * c] = sum_g;
    sums[2 * c + 1] = sum_g_xhat;
    dgamma[c] += sum_g_xhat;
    dbeta[c] += sum_g;
}

// y = a + b over n values; y may be a or b.
EMBER_KERNEL ember_add(int n, EMBER_IN(a), EMBER_IN(b), EMBER_OUT(y)) {
    EMBER_VIEW_IN(a);
    EMBER_VIEW_IN(b);
    EMBER_VIEW_OUT(y);
    EMBER_FOR_EACH(i, n) y[i] = a[i] + b[i];
}

// One block per channel: the batch mean and 1/sqrt(biased variance + eps) saved, the running
// statistics moved toward the batch's (unbiased variance), as torch.nn.BatchNorm2d. The variance
// is the mean of squared deviations from the mean (two passes), never E[x^2] - E[x]^2.
EMBER_KERNEL ember_batch_norm_statistics(int batch, int channels, int pixels, EMBER_IN(x),
                                         EMBER_OUT(running_mean), EMBER_OUT(running_var),
                                         EMBER_OUT(saved_mean), EMBER_OUT(saved_inv_std), float momentum, float eps) {
    EMBER_VIEW_IN(x);
    EMBER_VIEW_OUT(running_mean);
    EMBER_VIEW_OUT(running_var);
    EMBER_VIEW_OUT(saved_mean);
    EMBER_VIEW_OUT(saved_inv_std);
    EMBER_SHARED float scratch[EMBER_BLOCK];
    int c = EMBER_GROUP_ID;
    int m = batch * pixels;
    float sum = 0.0f;
    EMBER_CHANNEL_WALK(n, q, batch, pixels) sum += x[(n * channels + c) * pixels + q];
    float mean = ember_block_sum(sum, scratch) / m;
    float squares = 0.0f;
    EMBER_CHANNEL_WALK(n, q, batch, pixels) {
        float d = x[(n * channels + c) * pixels + q] - mean;
        squares += d * d;
    }
    squares = ember_block_sum(squares, scratch);
    if (EMBER_LOCAL_ID == 0) {
        ember_finish_statistics(c, m, mean, squares, running_mean, running_var, saved_mean, saved_inv_std,
                                momentum, eps);
    }
}

// y = (x - mean) * inv_std * gamma + beta, then + residual where with_residual, then max(., 0)
// where with_relu. inv_std is spread itself, or 1/sqrt(spread + eps) where spread_is_variance
// (inference, from the running statistics). y may be x or residual. residual is read either way:
// without one, pass x.
EMBER_KERNEL ember_batch_norm_apply(int batch, int channels, int pixels, EMBER_IN(x), EMBER_IN(gamma),
                                    EMBER_IN(beta), EMBER_IN(mean), EMBER_IN(spread), int spread_is_variance,
                                    float eps, int with_residual, EMBER_IN(residual), int with_relu, EMBER_OUT(y)) {
    EMBER_VIEW_IN(x);
    EMBER_VIEW_IN(gamma);
    EMBER_VIEW_IN(beta);
    EMBER_VIEW_IN(mean);
    EMBER_VIEW_IN(spread);
    EMBER_VIEW_IN(residual);
    EMBER_VIEW_OUT(y);
    EMBER_FOR_EACH_IN_PLANES(i, plane, batch * channels, pixels) {
        int c = plane % channels;
        float inv_std = spread_is_variance ? 1.0f / EMBER_SQRT(spread[c] + eps) : spread[c];
        float v = (x[i] - mean[c]) * inv_std * gamma[c] + beta[c];
        float r = residual[i]; // loaded either way, so a CPU driver can vectorize the select
        if (with_residual) v += r;
        y[i] = with_relu ? EMBER_RELU(v) : v;
    }
}

// One block per channel: sums[2c] = sum(g), sums[2c + 1] = sum(g * xhat), with g = dy, or dy
// masked where the forward output y is not positive when with_relu; dbeta and dgamma accumulate them.
// The backward kernels read y either way: without the ReLU, pass dy.
EMBER_KERNEL ember_batch_norm_backward_sums(int batch, int channels, int pixels, EMBER_IN(x), EMBER_IN(dy),
                                            int with_relu, EMBER_IN(y), EMBER_IN(saved_mean),
                                            EMBER_IN(saved_inv_std), EMBER_OUT(sums), EMBER_OUT(dgamma),
                                            EMBER_OUT(dbeta)) {
    EMBER_VIEW_IN(x);
    EMBER_VIEW_IN(dy);
    EMBER_VIEW_IN(y);
    EMBER_VIEW_IN(saved_mean);
    EMBER_VIEW_IN(saved_inv_std);
    EMBER_VIEW_OUT(sums);
    EMBER_VIEW_OUT(dgamma);
    EMBER_VIEW_OUT(dbeta);
    EMBER_SHARED float scratch[EMBER_BLOCK];
    int c = EMBER_GROUP_ID;
    float mean = saved_mean[c], inv_std = saved_inv_std[c];
    float sum_g = 0.0f, sum_g_xhat = 0.0f;
    EMBER_CHANNEL_WALK(n, q, batch, pixels) {
        int at = (n * channels + c) * pixels + q;
        float g = with_relu ? EMBER_RELU_BACKWARD(y[at], dy[at]) : dy[at];
        sum_g += g;
        sum_g_xhat += g * (x[at] - mean) * inv_std;
    }
    sum_g = ember_block_sum(sum_g, scratch);
    sum_g_xhat = ember_block_sum(sum_g_xhat, scratch);
    if (EMBER_LOCAL_ID == 0) ember_finish_backward_sums(c, sum_g, sum_g_xhat, sums, dgamma, dbeta);
}

// dx = gamma * inv_std * (g - sum(g)/m - xhat * sum(g * xhat)/m), g as in the sums above.
EMBER_KERNEL ember_batch_norm_backward_data(int batch, int channels, int pixels, EMBER_IN(x), EMBER_IN(dy),
                                            int with_relu, EMBER_IN(y), EMBER_IN(gamma), EMBER_IN(saved_mean),
                                            EMBER_IN(saved_inv_std), EMBER_IN(sums), EMBER_OUT(dx)) {
    EMBER_VIEW_IN(x);
    EMBER_VIEW_IN(dy);
    EMBER_VIEW_IN(y);
    EMBER_VIEW_IN(gamma);
    EMBER_VIEW_IN(saved_mean);
    EMBER_VIEW_IN(saved_inv_std);
    EMBER_VIEW_IN(sums);
    EMBER_VIEW_OUT(dx);
    float m = (float) (batch * pixels);
    EMBER_FOR_EACH_IN_PLANES(i, plane, batch * channels, pixels) {
        int c = plane % channels;
        float inv_std = saved_inv_std[c];
        float xhat = (x[i] - saved_mean[c]) * inv_std;
        float g = dy[i], after = y[i]; // loaded either way, as residual above
        if (with_relu) g = EMBER_RELU_BACKWARD(after, g);
        dx[i] = gamma[c] * inv_std * (g - sums[2 * c] / m - xhat * sums[2 * c + 1] / m);
    }
}

// y[p] = mean of plane p's pixels, one thread per plane (planes = batch * channels).
EMBER_KERNEL ember_global_avg_pool(int planes, int pixels, EMBER_IN(x), EMBER_OUT(y)) {
    EMBER_VIEW_IN(x);
    EMBER_VIEW_OUT(y);
    for (int p = EMBER_GLOBAL_ID; p < planes; p += EMBER_GLOBAL_SIZE) {
        float sum = 0.0f;
        for (int q = 0; q < pixels; q++) sum += x[p * pixels + q];
        y[p] = sum / pixels;
    }
}

// dx[p, q] = dy[p] / pixels.
EMBER_KERNEL ember_global_avg_pool_backward(int planes, int pixels, EMBER_IN(dy), EMBER_OUT(dx)) {
    EMBER_VIEW_IN(dy);
    EMBER_VIEW_OUT(dx);
    EMBER_FOR_EACH_IN_PLANES(i, plane, planes, pixels) dx[i] = dy[plane] / pixels;
}

// Softmax cross-entropy and its gradient, one thread per row: dlogits = (softmax - onehot) / batch;
// the row's loss and whether its largest logit is the label's go to row_stats (2 per row). A label
// that is not an integer in 0..classes-1 is recorded as a fault and its row left at zero.
EMBER_KERNEL ember_softmax_cross_entropy(int batch, int classes, EMBER_IN(logits), EMBER_IN(labels),
                                         EMBER_OUT(dlogits), EMBER_OUT(row_stats), EMBER_FAULT_WORDS) {
    EMBER_VIEW_IN(logits);
    EMBER_VIEW_IN(labels);
    EMBER_VIEW_OUT(dlogits);
    EMBER_VIEW_OUT(row_stats);
    for (int r = EMBER_GLOBAL_ID; r < batch; r += EMBER_GLOBAL_SIZE) {
        const int row = r * classes;
        float label_value = labels[r];
        int label = (int) label_value;
        if ((float) label != label_value || label < 0 || label >= classes) {
            ember_record_fault(fault, EMBER_FAULT_LABEL, EMBER_FLOAT_BITS(label_value), classes);
            for (int k = 0; k < classes; k++) dlogits[row + k] = 0.0f;
            row_stats[2 * r] = 0.0f;
            row_stats[2 * r + 1] = 0.0f;
            continue;
        }
        float largest = logits[row];
        int argmax = 0;
        for (int k = 1; k < classes; k++) {
            if (logits[row + k] > largest) {
                largest = logits[row + k];
                argmax = k;
            }
        }
        float sum = 0.0f;
        for (int k = 0; k < classes; k++) sum += EMBER_EXP(logits[row + k] - largest);
        for (int k = 0; k < classes; k++) {
            float p = EMBER_EXP(logits[row + k] - largest) / sum;
            dlogits[row + k] = (p - (k == label ? 1.0f : 0.0f)) / batch;
        }
        row_stats[2 * r] = EMBER_LOG(sum) + largest - logits[row + label];
        row_stats[2 * r + 1] = argmax == label ? 1.0f : 0.0f;
    }
}

// sums[0] += the rows' losses, sums[1] += their correct count, in row order (one thread).
EMBER_KERNEL ember_add_row_stats(int batch, EMBER_IN(row_stats), EMBER_OUT(sums)) {
    EMBER_VIEW_IN(row_stats);
    EMBER_VIEW_OUT(sums);
    if (EMBER_GLOBAL_ID != 0) return;
    float loss = 0.0f, correct = 0.0f;
    for (int r = 0; r < batch; r++) {
        loss += row_stats[2 * r];
        correct += row_stats[2 * r + 1];
    }
    sums[0] += loss;
    sums[1] += correct;
}

#endif
