// Direct convolutions for ResNet's shapes: 3 x 3 with padding 1 at stride 1 or 2, and the 1 x 1
// stride-2 shortcut, over NCHW batches. The 3 x 3 kernels read planes first padded by one zero on
// every side (ember_pad1), so the inner loops have no bounds tests. Each loads the inputs of a
// segment of neighbouring outputs as one vector (at stride 2, the even lanes of a double-width
// load): 16 of one row, 8, or 8 of each of two rows where rows are not a multiple of 16 wide.
// Output widths must be multiples of 8. Launcher: ember.backend.opencl.OpenClBackend, planned
// by ember.backend.opencl.DirectConv.

// xp[plane][py][px] = x[plane][py - 1][px - 1], 0 on the border; planes of (h + 2) x (w + 2).
// One work-item per padded value, launched as exactly (w + 2, h + 2, planes): no division per
// value, which a CPU driver cannot vectorize.
__kernel void ember_pad1(int h, int w_, __global const float* x, int xo, __global float* xp, int xpo) {
    int px = get_global_id(0), py = get_global_id(1), plane = get_global_id(2), ix = px - 1, iy = py - 1;
    bool inside = ix >= 0 && ix < w_ && iy >= 0 && iy < h;
    xp[xpo + (plane * (h + 2) + py) * (w_ + 2) + px] = inside ? x[xo + (plane * h + iy) * w_ + ix] : 0.0f;
}

// The weights of stride-1 backward-data as a forward convolution: wt[c][o][8 - t] = w[o][c][t]
// (taps reversed, in and out exchanged).
__kernel void ember_flip3x3(int out_c, int in_c, __global const float* w, int wo, __global float* wt, int wto) {
    int i = get_global_id(0);
    if (i >= out_c * in_c * 9) return;
    int t = i % 9, c = i / 9 % in_c, o = i / (9 * in_c);
    wt[wto + (c * out_c + o) * 9 + 8 - t] = w[wo + i];
}

// A segment's inputs as one vector: SEG neighbours at stride 1, the even lanes of 2 * SEG at
// stride 2; the x2 forms take the segment and the one below it (rows S apart, wp wide) together,
// so that 8-wide rows still fill 16 lanes.
#define EMBER_LOAD_S1_16(p) vload16(0, p)
#define EMBER_LOAD_S1_8(p) vload8(0, p)
#define EMBER_LOAD_S2_8(p) vload16(0, p).even
#define EMBER_LOAD_S1_8X2(p) (float16) (vload8(0, p), vload8(0, (p) + wp))
#define EMBER_LOAD_S2_8X2(p) (float16) (vload16(0, p).even, vload16(0, (p) + 2 * wp).even)
// Output segments, and dy's in the weight gradient: rows ow wide.
#define EMBER_LOAD_16(p) vload16(0, p)
#define EMBER_LOAD_8(p) vload8(0, p)
#define EMBER_LOAD_8X2(p) (float16) (vload8(0, p), vload8(0, (p) + ow))
#define EMBER_STORE_16(v, p) vstore16(v, 0, p)
#define EMBER_STORE_8(v, p) vstore8(v, 0, p)
#define EMBER_STORE_8X2(v, p) vstore8((v).lo, 0, p); vstore8((v).hi, 0, (p) + ow)

// Output channels per work-item of the forward kernels: 16 vector accumulators, each weight
// loaded once per VEC outputs and each input vector used for 16 channels.
#define EMBER_CONV_CB 16

// y[z][o][row .. row + ROWS)[x0 .. x0 + SEG) (VEC = ROWS * SEG values) for o in one block of
// EMBER_CONV_CB channels, from input planes of hp x wp (padded where K is 3): dimension 0 the
// segment of the row, 1 the rows, 2 the image times the channel blocks. Sums run over channels,
// then taps, in order.
#define EMBER_CONV_FORWARD(NAME, VEC, SEG, ROWS, K, S, LOAD, STORE)                                   \
__kernel void NAME(int in_c, int hp, int wp, int out_c, int oh, int ow, __global const float* xp,    \
                   int xpo, __global const float* w, int wo, __global float* y, int yo) {             \
    int x0 = get_global_id(0) * SEG, row = get_global_id(1) * ROWS, blocks = out_c / EMBER_CONV_CB; \
    int z = get_global_id(2) / blocks, o0 = get_global_id(2) % blocks * EMBER_CONV_CB;              \
    if (x0 >= ow || row >= oh) return;                                                                \
    __global const float* in = xp + xpo + (z * in_c * hp + row * S) * wp + x0 * S;                 \
    __global const float* wz = w + wo + o0 * in_c * K * K;                                            \
    float##VEC acc[EMBER_CONV_CB];                                                                    \
    _Pragma("unroll") for (int j = 0; j < EMBER_CONV_CB; j++) acc[j] = (float##VEC) (0.0f);          \
    for (int c = 0; c < in_c; c++) {                                                                  \
        _Pragma("unroll") for (int t = 0; t < K * K; t++) {                                           \
            float##VEC v = LOAD(in + (c * hp + t / K) * wp + t % K);                                  \
            _Pragma("unroll") for (int j = 0; j < EMBER_CONV_CB; j++)                                 \
                acc[j] += wz[(j * in_c + c) * K * K + t] * v;                                         \
        }                                                                                             \
    }                                                                                                 \
    __global float* out = y + yo + ((z * out_c + o0) * oh + row) * ow + x0;                          \
    _Pragma("unroll") for (int j = 0; j < EMBER_CONV_CB; j++) { STORE(acc[j], out + j * oh * ow); }  \
}

EMBER_CONV_FORWARD(ember_conv3x3_v16, 16, 16, 1, 3, 1, EMBER_LOAD_S1_16, EMBER_STORE_16)
EMBER_CONV_FORWARD(ember_conv3x3_v8, 8, 8, 1, 3, 1, EMBER_LOAD_S1_8, EMBER_STORE_8)
EMBER_CONV_FORWARD(ember_conv3x3_v8x2, 16, 8, 2, 3, 1, EMBER_LOAD_S1_8X2, EMBER_STORE_8X2)
EMBER_CONV_FORWARD(ember_conv3x3_s2_v8, 8, 8, 1, 3, 2, EMBER_LOAD_S2_8, EMBER_STORE_8)
EMBER_CONV_FORWARD(ember_conv3x3_s2_v8x2, 16, 8, 2, 3, 2, EMBER_LOAD_S2_8X2, EMBER_STORE_8X2)
EMBER_CONV_FORWARD(ember_conv1x1_s2_v8, 8, 8, 1, 1, 2, EMBER_LOAD_S2_8, EMBER_STORE_8)
EMBER_CONV_FORWARD(ember_conv1x1_s2_v8x2, 16, 8, 2, 1, 2, EMBER_LOAD_S2_8X2, EMBER_STORE_8X2)

// The weight gradient in parts: part[k][o][c][t] = the sum over images k * chunk .. (k + 1) *
// chunk of dy[z][o] correlated with xp[z][c] (planes of hp x wp) at tap t, for two output
// channels o per work-item (dimension 0 the input channel c, 1 the pair of output channels, 2 the
// part k). Images, rows and segments in order, then each vector's lanes in a fixed tree;
// ember_sum_rows adds the parts in order, so the result does not depend on the schedule.
#define EMBER_CONV_FILTER(NAME, VEC, SEG, ROWS, K, S, LOAD, LOAD_DY)                               \
__kernel void NAME(int batch, int chunk, int in_c, int hp, int wp, int out_c, int oh, int ow,        \
                   __global const float* xp, int xpo, __global const float* dy, int dyo,             \
                   __global float* part, int parto) {                                                 \
    int c = get_global_id(0), o = get_global_id(1) * 2, k = get_global_id(2);                        \
    if (c >= in_c || o >= out_c) return;                                                              \
    int last = min(batch, (k + 1) * chunk);                                                           \
    float##VEC a0[K * K], a1[K * K];                                                                  \
    _Pragma("unroll") for (int t = 0; t < K * K; t++) a0[t] = a1[t] = (float##VEC) (0.0f);           \
    for (int z = k * chunk; z < last; z++) {                                                          \
        __global const float* in = xp + xpo + (z * in_c + c) * hp * wp;                              \
        __global const float* d = dy + dyo + (z * out_c + o) * oh * ow;                              \
        for (int row = 0; row < oh; row += ROWS) {                                                    \
            for (int x0 = 0; x0 < ow; x0 += SEG) {                                                    \
                float##VEC d0 = LOAD_DY(d + row * ow + x0);                                           \
                float##VEC d1 = LOAD_DY(d + oh * ow + row * ow + x0);                                 \
                _Pragma("unroll") for (int t = 0; t < K * K; t++) {                                   \
                    float##VEC v = LOAD(in + (row * S + t / K) * wp + x0 * S + t % K);               \
                    a0[t] += d0 * v;                                                                  \
                    a1[t] += d1 * v;                                                                  \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    __global float* p = part + parto + ((k * out_c + o) * in_c + c) * K * K;                        \
    _Pragma("unroll") for (int t = 0; t < K * K; t++) {                                               \
        p[t] = ember_lanes##VEC(a0[t]);                                                               \
        p[in_c * K * K + t] = ember_lanes##VEC(a1[t]);                                                \
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

EMBER_CONV_FILTER(ember_conv3x3_filter_v16, 16, 16, 1, 3, 1, EMBER_LOAD_S1_16, EMBER_LOAD_16)
EMBER_CONV_FILTER(ember_conv3x3_filter_v8, 8, 8, 1, 3, 1, EMBER_LOAD_S1_8, EMBER_LOAD_8)
EMBER_CONV_FILTER(ember_conv3x3_filter_v8x2, 16, 8, 2, 3, 1, EMBER_LOAD_S1_8X2, EMBER_LOAD_8X2)
EMBER_CONV_FILTER(ember_conv3x3_s2_filter_v8, 8, 8, 1, 3, 2, EMBER_LOAD_S2_8, EMBER_LOAD_8)
EMBER_CONV_FILTER(ember_conv3x3_s2_filter_v8x2, 16, 8, 2, 3, 2, EMBER_LOAD_S2_8X2, EMBER_LOAD_8X2)
EMBER_CONV_FILTER(ember_conv1x1_s2_filter_v8, 8, 8, 1, 1, 2, EMBER_LOAD_S2_8, EMBER_LOAD_8)
EMBER_CONV_FILTER(ember_conv1x1_s2_filter_v8x2, 16, 8, 2, 1, 2, EMBER_LOAD_S2_8X2, EMBER_LOAD_8X2)

// Input channels per work-item of the stride-2 backward-data kernels: two vector accumulators
// each (even and odd columns).
#define EMBER_DATA_CB 8

// 16 output pixels from an even-column and an odd-column vector, interleaved.
#define EMBER_INTERLEAVE(even, odd) shuffle2(even, odd, (uint16) (0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15))

// dx of a stride-2, padding-1 3 x 3 convolution, from dy padded by one zero on every side
// (planes of (oh + 2) x (ow + 2)). Input pixel (2m + a, 2n + b) takes the taps whose offsets
// have the parity of a and b: row 2m tap 1 of output row m; row 2m + 1 tap 0 of m + 1 and tap 2
// of m; columns alike. A work-item takes rows 2m and 2m + 1 over 16 columns (dimension 0: 8
// outputs n0 .. n0 + 8; 1: m) for EMBER_DATA_CB channels (dimension 2: image times channel
// blocks). Sums run over output channels, then taps, in order.
__kernel void ember_conv3x3_s2_data_v8(int in_c, int h, int w_, int out_c, int oh, int ow,
                                       __global const float* dyp, int dypo, __global const float* w, int wo,
                                       __global float* dx, int dxo) {
    int n0 = get_global_id(0) * 8, m = get_global_id(1), blocks = in_c / EMBER_DATA_CB;
    int z = get_global_id(2) / blocks, c0 = get_global_id(2) % blocks * EMBER_DATA_CB;
    if (n0 >= ow || m >= oh) return;
    int hp = oh + 2, wp = ow + 2;
    __global const float* d = dyp + dypo + z * out_c * hp * wp + n0 + 1;
    __global const float* wc = w + wo + c0 * 9;
    for (int a = 0; a < 2; a++) {
        float8 even[EMBER_DATA_CB], odd[EMBER_DATA_CB];
        _Pragma("unroll") for (int j = 0; j < EMBER_DATA_CB; j++) even[j] = odd[j] = (float8) (0.0f);
        for (int o = 0; o < out_c; o++) {
            __global const float* wk = wc + o * in_c * 9;
            // Row 2m: tap row 1 over padded row m + 1; row 2m + 1: tap row 0 over m + 2, 2 over m + 1.
            _Pragma("unroll") for (int r = 0; r < 2; r++) {
                if (a == 0 && r == 1) break;
                int ky = a == 0 ? 1 : 2 * r, pr = a == 0 ? m + 1 : m + 2 - r;
                __global const float* at = d + (o * hp + pr) * wp;
                float8 e = vload8(0, at), f = vload8(0, at + 1);
                _Pragma("unroll") for (int j = 0; j < EMBER_DATA_CB; j++) {
                    __global const float* t = wk + j * 9 + ky * 3;
                    even[j] += t[1] * e;
                    odd[j] += t[0] * f + t[2] * e;
                }
            }
        }
        __global float* out = dx + dxo + ((z * in_c + c0) * h + 2 * m + a) * w_ + 2 * n0;
        _Pragma("unroll") for (int j = 0; j < EMBER_DATA_CB; j++)
            vstore16(EMBER_INTERLEAVE(even[j], odd[j]), 0, out + j * h * w_);
    }
}

// dx of the stride-2 1 x 1 convolution: dx[c][2m][2n] = the sum over o of w[o][c] dy[o][m][n],
// 0 on odd rows and columns. The layout of ember_conv3x3_s2_data_v8, dy unpadded.
__kernel void ember_conv1x1_s2_data_v8(int in_c, int h, int w_, int out_c, int oh, int ow,
                                       __global const float* dy, int dyo, __global const float* w, int wo,
                                       __global float* dx, int dxo) {
    int n0 = get_global_id(0) * 8, m = get_global_id(1), blocks = in_c / EMBER_DATA_CB;
    int z = get_global_id(2) / blocks, c0 = get_global_id(2) % blocks * EMBER_DATA_CB;
    if (n0 >= ow || m >= oh) return;
    __global const float* d = dy + dyo + (z * out_c * oh + m) * ow + n0;
    float8 even[EMBER_DATA_CB];
    _Pragma("unroll") for (int j = 0; j < EMBER_DATA_CB; j++) even[j] = (float8) (0.0f);
    for (int o = 0; o < out_c; o++) {
        float8 e = vload8(0, d + o * oh * ow);
        _Pragma("unroll") for (int j = 0; j < EMBER_DATA_CB; j++) even[j] += w[wo + o * in_c + c0 + j] * e;
    }
    __global float* out = dx + dxo + ((z * in_c + c0) * h + 2 * m) * w_ + 2 * n0;
    _Pragma("unroll") for (int j = 0; j < EMBER_DATA_CB; j++) {
        vstore16(EMBER_INTERLEAVE(even[j], (float8) (0.0f)), 0, out + j * h * w_);
        vstore16((float16) (0.0f), 0, out + j * h * w_ + w_);
    }
}
