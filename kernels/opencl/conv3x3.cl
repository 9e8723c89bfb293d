// Direct 3 x 3 convolutions, stride 1, zero padding 1 (ResNet's own), over NCHW batches whose
// planes were first padded by one zero on every side (ember_pad1): with the padding in memory
// the inner loops have no bounds tests, and each loads rows of VEC neighbouring pixels as one
// vector. Widths must be multiples of VEC (16 or 8). Launcher: ember.backend.opencl.OpenClBackend.

// xp[plane][py][px] = x[plane][py - 1][px - 1], 0 on the border; planes of (h + 2) x (w + 2).
__kernel void ember_pad1(int planes, int h, int w_, __global const float* x, int xo, __global float* xp, int xpo) {
    int i = get_global_id(0), hp = h + 2, wp = w_ + 2;
    if (i >= planes * hp * wp) return;
    int ix = i % wp - 1, iy = i / wp % hp - 1, plane = i / (wp * hp);
    xp[xpo + i] = ix >= 0 && ix < w_ && iy >= 0 && iy < h ? x[xo + (plane * h + iy) * w_ + ix] : 0.0f;
}

// The weights of backward-data as a forward convolution: wt[c][o][8 - t] = w[o][c][t] (taps
// reversed, in and out exchanged).
__kernel void ember_flip3x3(int out_c, int in_c, __global const float* w, int wo, __global float* wt, int wto) {
    int i = get_global_id(0);
    if (i >= out_c * in_c * 9) return;
    int t = i % 9, c = i / 9 % in_c, o = i / (9 * in_c);
    wt[wto + (c * out_c + o) * 9 + 8 - t] = w[wo + i];
}

// Output channels per work-item of the forward kernels: 16 vector accumulators, each weight
// loaded once per VEC outputs and each input vector used for 16 channels.
#define EMBER_CONV_CB 16

// y[z][o][row][x0 .. x0 + VEC) for o in one block of EMBER_CONV_CB channels: dimension 0 the
// VEC-wide segment of the row, 1 the row, 2 the image times the channel blocks. Sums run over
// channels, then taps, in order.
#define EMBER_CONV3X3_FORWARD(NAME, VEC)                                                              \
__kernel void NAME(int in_c, int h, int w_, int out_c, __global const float* xp, int xpo,            \
                   __global const float* w, int wo, __global float* y, int yo) {                     \
    int x0 = get_global_id(0) * VEC, row = get_global_id(1), blocks = out_c / EMBER_CONV_CB;        \
    int z = get_global_id(2) / blocks, o0 = get_global_id(2) % blocks * EMBER_CONV_CB;              \
    if (x0 >= w_ || row >= h) return;                                                                 \
    int hp = h + 2, wp = w_ + 2;                                                                      \
    __global const float* in = xp + xpo + (z * in_c * hp + row) * wp + x0;                          \
    __global const float* wz = w + wo + o0 * in_c * 9;                                                \
    float##VEC acc[EMBER_CONV_CB];                                                                    \
    _Pragma("unroll") for (int j = 0; j < EMBER_CONV_CB; j++) acc[j] = (float##VEC) (0.0f);          \
    for (int c = 0; c < in_c; c++) {                                                                  \
        _Pragma("unroll") for (int t = 0; t < 9; t++) {                                               \
            float##VEC v = vload##VEC(0, in + (c * hp + t / 3) * wp + t % 3);                        \
            _Pragma("unroll") for (int j = 0; j < EMBER_CONV_CB; j++)                                 \
                acc[j] += wz[(j * in_c + c) * 9 + t] * v;                                             \
        }                                                                                             \
    }                                                                                                 \
    __global float* out = y + yo + ((z * out_c + o0) * h + row) * w_ + x0;                          \
    _Pragma("unroll") for (int j = 0; j < EMBER_CONV_CB; j++) vstore##VEC(acc[j], 0, out + j * h * w_); \
}

EMBER_CONV3X3_FORWARD(ember_conv3x3_v16, 16)
EMBER_CONV3X3_FORWARD(ember_conv3x3_v8, 8)

// The weight gradient in parts: part[k][o][c][t] = the sum over images k * chunk .. (k + 1) *
// chunk of dy[z][o] correlated with xp[z][c] at tap t, for two output channels o per work-item
// (dimension 0 the input channel c, 1 the pair of output channels, 2 the part k). Images, rows
// and segments in order, then each vector's lanes in a fixed tree; ember_sum_rows adds the parts
// in order, so the result does not depend on the schedule.
#define EMBER_CONV3X3_FILTER(NAME, VEC)                                                               \
__kernel void NAME(int batch, int chunk, int in_c, int h, int w_, int out_c, __global const float* xp, \
                   int xpo, __global const float* dy, int dyo, __global float* part, int parto) {     \
    int c = get_global_id(0), o = get_global_id(1) * 2, k = get_global_id(2);                        \
    if (c >= in_c || o >= out_c) return;                                                              \
    int hp = h + 2, wp = w_ + 2, last = min(batch, (k + 1) * chunk);                                 \
    float##VEC a0[9], a1[9];                                                                          \
    _Pragma("unroll") for (int t = 0; t < 9; t++) a0[t] = a1[t] = (float##VEC) (0.0f);               \
    for (int z = k * chunk; z < last; z++) {                                                          \
        __global const float* in = xp + xpo + (z * in_c + c) * hp * wp;                              \
        __global const float* d = dy + dyo + (z * out_c + o) * h * w_;                               \
        for (int row = 0; row < h; row++) {                                                           \
            for (int x0 = 0; x0 < w_; x0 += VEC) {                                                    \
                float##VEC d0 = vload##VEC(0, d + row * w_ + x0);                                     \
                float##VEC d1 = vload##VEC(0, d + h * w_ + row * w_ + x0);                            \
                _Pragma("unroll") for (int t = 0; t < 9; t++) {                                       \
                    float##VEC v = vload##VEC(0, in + (row + t / 3) * wp + x0 + t % 3);              \
                    a0[t] += d0 * v;                                                                  \
                    a1[t] += d1 * v;                                                                  \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    __global float* p = part + parto + ((k * out_c + o) * in_c + c) * 9;                            \
    _Pragma("unroll") for (int t = 0; t < 9; t++) {                                                   \
        p[t] = ember_lanes##VEC(a0[t]);                                                               \
        p[in_c * 9 + t] = ember_lanes##VEC(a1[t]);                                                    \
    }                                                                                                 \
}

// A vector's lanes summed in a fixed tree.
float ember_lanes8(float8 v) {
    float4 s = v.lo + v.hi;
    float2 u = s.lo + s.hi;
    return u.x + u.y;
}

float ember_lanes16(float16 v) {
    return ember_lanes8(v.lo + v.hi);
}

EMBER_CONV3X3_FILTER(ember_conv3x3_filter_v16, 16)
EMBER_CONV3X3_FILTER(ember_conv3x3_filter_v8, 8)
