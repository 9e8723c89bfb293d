// Convolutions over NCHW batches as im2col + GEMM (the GEMMs are in gemm.cl): square kernel,
// stride and zero padding; weights [out, in, k, k]. Launcher: ember.backend.opencl.OpenClBackend.

// Images unfolded (image z in dimension 1): col_z[(c, ky, kx)][(oy, ox)] = x_z[c, oy*s - p + ky,
// ox*s - p + kx], 0 in the padding; col_z follows col_{z-1}.
__kernel void ember_im2col(int in_c, int h, int w_, int k, int s, int p, int oh, int ow,
                           __global const float* x, int xo, __global float* col) {
    int i = get_global_id(0), z = get_global_id(1), pixels = oh * ow, rows = in_c * k * k;
    if (i >= rows * pixels) return;
    int q = i % pixels, r = i / pixels;
    int ox = q % ow, oy = q / ow, kx = r % k, ky = r / k % k, c = r / (k * k);
    int iy = oy * s - p + ky, ix = ox * s - p + kx;
    col[z * rows * pixels + i] = iy >= 0 && iy < h && ix >= 0 && ix < w_
            ? x[xo + ((z * in_c + c) * h + iy) * w_ + ix] : 0.0f;
}

// The adjoint of im2col (image z in dimension 1): dx_z[c, iy, ix] = the sum of the col_z entries that read it.
__kernel void ember_col2im(int in_c, int h, int w_, int k, int s, int p, int oh, int ow,
                           __global const float* col, __global float* dx, int dxo) {
    int i = get_global_id(0), z = get_global_id(1);
    if (i >= in_c * h * w_) return;
    int ix = i % w_, iy = i / w_ % h, c = i / (w_ * h), pixels = oh * ow;
    __global const float* colz = col + z * in_c * k * k * pixels;
    float sum = 0.0f;
    for (int ky = 0; ky < k; ky++) {
        int ty = iy + p - ky;
        if (ty < 0 || ty % s != 0 || ty / s >= oh) continue;
        for (int kx = 0; kx < k; kx++) {
            int tx = ix + p - kx;
            if (tx < 0 || tx % s != 0 || tx / s >= ow) continue;
            sum += colz[((c * k + ky) * k + kx) * pixels + (ty / s) * ow + tx / s];
        }
    }
    dx[dxo + z * in_c * h * w_ + i] = sum;
}
