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
// (row-major) at b + bo + z * b_stride, C_z at c + co + z * c_stride. Each work-item makes a
// 4 x 8 block of C with four float8 accumulators: contiguous rows of B for the CPU's vector
// units (and a GPU's wide loads), each loaded once for four rows, and four independent chains
// of multiply-adds. Columns past the last multiple of 8 run scalar. Global size:
// (ceil(n / 8), ceil(m / 4), images).
__kernel void ember_gemm_rows8(int trans_a, int m, int n, int k, float alpha, __global const float* a, int ao,
                               __global const float* b, int bo, int b_stride, float beta, __global float* c, int co,
                               int c_stride) {
    int col = get_global_id(0) * 8, row0 = get_global_id(1) * 4, z = get_global_id(2);
    if (row0 >= m || col >= n) return;
    __global const float* bz = b + bo + z * b_stride;
    __global float* cz = c + co + z * c_stride;
    // Rows past m repeat the last one and are not stored.
    int r1 = min(row0 + 1, m - 1), r2 = min(row0 + 2, m - 1), r3 = min(row0 + 3, m - 1);
    int rs = trans_a ? 1 : k, ps = trans_a ? m : 1; // A(r, p) = a[ao + r * rs + p * ps]
    __global const float* a0 = a + ao + row0 * rs;
    __global const float* a1 = a + ao + r1 * rs;
    __global const float* a2 = a + ao + r2 * rs;
    __global const float* a3 = a + ao + r3 * rs;
    int rows = min(4, m - row0);
    if (col + 8 <= n) {
        float8 s0 = (float8) (0.0f), s1 = s0, s2 = s0, s3 = s0;
        for (int p = 0; p < k; p++) {
            float8 bv = vload8(0, bz + p * n + col);
            s0 += a0[p * ps] * bv;
            s1 += a1[p * ps] * bv;
            s2 += a2[p * ps] * bv;
            s3 += a3[p * ps] * bv;
        }
        float8 sums[4] = {s0, s1, s2, s3};
        for (int r = 0; r < rows; r++) {
            __global float* out = cz + (row0 + r) * n + col;
            float8 result = beta == 0.0f ? alpha * sums[r] : alpha * sums[r] + beta * vload8(0, out);
            vstore8(result, 0, out);
        }
        return;
    }
    for (int r = 0; r < rows; r++) {
        __global const float* ar = a + ao + (row0 + r) * rs;
        for (int j = col; j < n; j++) {
            float sum = 0.0f;
            for (int p = 0; p < k; p++) sum += ar[p * ps] * bz[p * n + j];
            __global float* out = cz + (row0 + r) * n + j;
            *out = beta == 0.0f ? alpha * sum : alpha * sum + beta * *out;
        }
    }
}

// C[m x n] += sum over images z of A_z[m x k] * B_z[n x k]^T, A_z at a + ao + z * a_stride, B_z at
// b + z * b_stride: each work-item makes four neighbouring columns of one row as dot products of
// contiguous rows, eight values at a time, the row of A loaded once for the four, image after
// image (a fixed order). Global size: (ceil(n / 4), m).
__kernel void ember_gemm_dot_rows(int images, int m, int n, int k, __global const float* a, int ao, int a_stride,
                                  __global const float* b, int b_stride, __global float* c, int co) {
    int col0 = get_global_id(0) * 4, row = get_global_id(1);
    if (row >= m || col0 >= n) return;
    int cols = min(4, n - col0);
    // Columns past n repeat the last one and are not stored.
    int c1 = min(col0 + 1, n - 1), c2 = min(col0 + 2, n - 1), c3 = min(col0 + 3, n - 1);
    float total[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int z = 0; z < images; z++) {
        __global const float* x = a + ao + z * a_stride + row * k;
        __global const float* bz = b + z * b_stride;
        __global const float* y0 = bz + col0 * k;
        __global const float* y1 = bz + c1 * k;
        __global const float* y2 = bz + c2 * k;
        __global const float* y3 = bz + c3 * k;
        float8 s0 = (float8) (0.0f), s1 = s0, s2 = s0, s3 = s0;
        int p = 0;
        for (; p + 8 <= k; p += 8) {
            float8 xv = vload8(0, x + p);
            s0 += xv * vload8(0, y0 + p);
            s1 += xv * vload8(0, y1 + p);
            s2 += xv * vload8(0, y2 + p);
            s3 += xv * vload8(0, y3 + p);
        }
        float8 sums[4] = {s0, s1, s2, s3};
        __global const float* ys[4] = {y0, y1, y2, y3};
        for (int j = 0; j < 4; j++) {
            float8 v = sums[j];
            float part = ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
            for (int q = p; q < k; q++) part += x[q] * ys[j][q];
            total[j] += part;
        }
    }
    for (int j = 0; j < cols; j++) c[co + row * n + col0 + j] += total[j];
}
