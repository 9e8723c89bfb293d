// Row-major C[m x n] = alpha * op(A) * op(B) + beta * C; A is stored k x m when trans_a, B is
// stored n x k when trans_b. One work-item per element of C, k summed in order.
// Launcher: ember.backend.opencl.OpenClBackend.

__kernel void ember_gemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                         __global const float* a, int ao, __global const float* b, int bo, float beta,
                         __global float* c, int co) {
    int col = get_global_id(0), row = get_global_id(1);
    if (row >= m || col >= n) return;
    float sum = 0.0f;
    for (int p = 0; p < k; p++) {
        float av = trans_a ? a[ao + p * m + row] : a[ao + row * k + p];
        float bv = trans_b ? b[bo + col * k + p] : b[bo + p * n + col];
        sum += av * bv;
    }
    int at = co + row * n + col;
    c[at] = beta == 0.0f ? alpha * sum : alpha * sum + beta * c[at];
}

// For each image z (dimension 2): C_z[m x n] = alpha * op(A) * B_z + beta * C_z, B_z stored k x n
// (row-major) at b + bo + z * b_stride, C_z at c + co + z * c_stride. Each work-item makes eight
// neighbouring columns of one row with a float8 accumulator, so the CPU's vector units (and a
// GPU's wide loads) see contiguous rows of B; a row's last n % 8 columns run scalar.
// Global size: (ceil(n / 8), m, images).
__kernel void ember_gemm_rows8(int trans_a, int m, int n, int k, float alpha, __global const float* a, int ao,
                               __global const float* b, int bo, int b_stride, float beta, __global float* c, int co,
                               int c_stride) {
    int col = get_global_id(0) * 8, row = get_global_id(1), z = get_global_id(2);
    if (row >= m || col >= n) return;
    __global const float* bz = b + bo + z * b_stride;
    __global float* out = c + co + z * c_stride + row * n + col;
    if (col + 8 <= n) {
        float8 sum = (float8) (0.0f);
        for (int p = 0; p < k; p++) {
            float av = trans_a ? a[ao + p * m + row] : a[ao + row * k + p];
            sum += av * vload8(0, bz + p * n + col);
        }
        float8 result = beta == 0.0f ? alpha * sum : alpha * sum + beta * vload8(0, out);
        vstore8(result, 0, out);
        return;
    }
    for (int j = 0; j < n - col; j++) {
        float sum = 0.0f;
        for (int p = 0; p < k; p++) {
            float av = trans_a ? a[ao + p * m + row] : a[ao + row * k + p];
            sum += av * bz[p * n + col + j];
        }
        out[j] = beta == 0.0f ? alpha * sum : alpha * sum + beta * out[j];
    }
}

// C[m x n] += sum over images z of A_z[m x k] * B_z[n x k]^T, A_z at a + ao + z * a_stride, B_z at
// b + z * b_stride: each work-item sums dot products of contiguous rows, eight at a time, image
// after image (a fixed order). Global size: (n, m).
__kernel void ember_gemm_dot_rows(int images, int m, int n, int k, __global const float* a, int ao, int a_stride,
                                  __global const float* b, int b_stride, __global float* c, int co) {
    int col = get_global_id(0), row = get_global_id(1);
    if (row >= m || col >= n) return;
    float sum = 0.0f;
    for (int z = 0; z < images; z++) {
        __global const float* x = a + ao + z * a_stride + row * k;
        __global const float* y = b + z * b_stride + col * k;
        float8 sum8 = (float8) (0.0f);
        int p = 0;
        for (; p + 8 <= k; p += 8) sum8 += vload8(0, x + p) * vload8(0, y + p);
        float part = ((sum8.s0 + sum8.s1) + (sum8.s2 + sum8.s3)) + ((sum8.s4 + sum8.s5) + (sum8.s6 + sum8.s7));
        for (; p < k; p++) part += x[p] * y[p];
        sum += part;
    }
    c[co + row * n + col] += sum;
}
