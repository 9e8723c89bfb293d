package ember.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a {@link Winograd3x3} convolution, by the same transform run
 * backwards: with V = Bᵀ·d·B of each input tile and D = A·dy·Aᵀ of its 2×2 block of output
 * gradients, dU[ξ][o][c] = Σ_tiles D[ξ][o]·V[ξ][c] and dw[o][c] = Gᵀ·dU[o][c]·G: 16 products
 * per tile and channel pair instead of 36. The images of a {@link Winograd3x3#group} are
 * transformed side by side, so each sum runs over enough tiles to amortise its final lane
 * reduction.
 */
final class WinogradFilterGradient {
    private WinogradFilterGradient() {}

    private static final VectorSpecies<Float> S = Simd.FLOATS;
    private static final int VL = S.length();
    private static final int POINTS = Winograd3x3.POINTS;

    /**
     * Adds this group of images' dU into sums[ξ][o][c]. quarters must have been cleared by
     * {@link Winograd3x3#clearQuarters} and blocks (of {@link Winograd3x3#blocksSize}) zeroed
     * once for this shape: junk tiles must see a zero output gradient.
     */
    static void accumulate(int inC, int outC, int height, int width, float[] x, int xOff, float[] dy, int dyOff,
                           int images, float[] quarters, float[] blocks, float[] inputs, float[] gradients,
                           float[] sums) {
        int tiles = Winograd3x3.tiles(height, width), span = Winograd3x3.span(height, width);
        int rowPitch = Winograd3x3.rowPitch(height, width), length = Winograd3x3.rowLength(images, height, width);
        int qs = Winograd3x3.quarterSize(height, width), p = Winograd3x3.pitch(width);
        for (int g = 0; g < images; g++) {
            int xImage = xOff + g * inC * height * width, dyImage = dyOff + g * outC * height * width;
            for (int c = 0; c < inC; c++) {
                Winograd3x3.splitIntoQuarters(x, xImage + c * height * width, height, width, quarters, c * 4 * qs, qs);
                Winograd3x3.transformInput(quarters, c * 4 * qs, qs, p, span, inputs, c * rowPitch + g * tiles,
                        inC * rowPitch);
            }
            for (int o = 0; o < outC; o++) {
                Winograd3x3.deinterleave(dy, dyImage + o * height * width, height, width, blocks, span);
                transformGradient(blocks, span, gradients, o * rowPitch + g * tiles, outC * rowPitch);
            }
        }
        // Rows end on a whole vector: the few tiles past the last image must add nothing.
        for (int row = 0; row < POINTS * outC; row++) {
            Arrays.fill(gradients, row * rowPitch + images * tiles, row * rowPitch + length, 0f);
        }
        sumProducts(inC, outC, length, rowPitch, gradients, inputs, sums);
    }

    /** D = A·g·Aᵀ for every 2×2 block g of one channel (blocks (r, s) span apart); point (a, b) to off + (4a + b)·stride. */
    private static void transformGradient(float[] blocks, int span, float[] d, int off, int stride) {
        for (int f = 0; f < span; f += VL) {
            FloatVector g00 = FloatVector.fromArray(S, blocks, f), g01 = FloatVector.fromArray(S, blocks, span + f);
            FloatVector g10 = FloatVector.fromArray(S, blocks, 2 * span + f);
            FloatVector g11 = FloatVector.fromArray(S, blocks, 3 * span + f);
            // A has rows (1, 0) (1, 1) (1, −1) (0, −1): rows of A·g are g0, g0 + g1, g0 − g1, −g1;
            // each row (x0, x1) then becomes x0, x0 + x1, x0 − x1, −x1.
            int at = off + f;
            FloatVector x0 = g00, x1 = g01;
            x0.intoArray(d, at);
            x0.add(x1).intoArray(d, at + stride);
            x0.sub(x1).intoArray(d, at + 2 * stride);
            x1.neg().intoArray(d, at + 3 * stride);
            x0 = g00.add(g10);
            x1 = g01.add(g11);
            x0.intoArray(d, at + 4 * stride);
            x0.add(x1).intoArray(d, at + 5 * stride);
            x0.sub(x1).intoArray(d, at + 6 * stride);
            x1.neg().intoArray(d, at + 7 * stride);
            x0 = g00.sub(g10);
            x1 = g01.sub(g11);
            x0.intoArray(d, at + 8 * stride);
            x0.add(x1).intoArray(d, at + 9 * stride);
            x0.sub(x1).intoArray(d, at + 10 * stride);
            x1.neg().intoArray(d, at + 11 * stride);
            g10.neg().intoArray(d, at + 12 * stride);
            g10.add(g11).neg().intoArray(d, at + 13 * stride);
            g11.sub(g10).intoArray(d, at + 14 * stride);
            g11.intoArray(d, at + 15 * stride);
        }
    }

    /** sums[ξ][o][c] += Σ_k d[ξ][o][k]·v[ξ][c][k] over k < length; rows rowPitch apart. */
    private static void sumProducts(int inC, int outC, int length, int rowPitch, float[] d, float[] v, float[] sums) {
        for (int xi = 0; xi < POINTS; xi++) {
            int dBase = xi * outC * rowPitch, vBase = xi * inC * rowPitch, sBase = xi * outC * inC;
            int o0 = 0;
            for (; o0 + 4 <= outC; o0 += 4) {
                int c = 0;
                for (; c + 2 <= inC; c += 2) {
                    tile4x2(length, rowPitch, d, dBase + o0 * rowPitch, v, vBase + c * rowPitch, sums,
                            sBase + o0 * inC + c, inC);
                }
                for (; c < inC; c++) {
                    for (int o = o0; o < o0 + 4; o++) {
                        sums[sBase + o * inC + c] += dot(length, d, dBase + o * rowPitch, v, vBase + c * rowPitch);
                    }
                }
            }
            for (; o0 < outC; o0++) {
                for (int c = 0; c < inC; c++) {
                    sums[sBase + o0 * inC + c] += dot(length, d, dBase + o0 * rowPitch, v, vBase + c * rowPitch);
                }
            }
        }
    }

    /** Four rows of d against two rows of v: 8 lane-wise sums in registers, 6 loads per 8 FMAs. */
    private static void tile4x2(int length, int rowPitch, float[] d, int di, float[] v, int vi, float[] sums,
                                int si, int sumPitch) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
        FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int k = 0; k < length; k += VL) {
            FloatVector v0 = FloatVector.fromArray(S, v, vi + k), v1 = FloatVector.fromArray(S, v, vi + rowPitch + k);
            FloatVector g = FloatVector.fromArray(S, d, di + k);
            a00 = g.fma(v0, a00);
            a01 = g.fma(v1, a01);
            g = FloatVector.fromArray(S, d, di + rowPitch + k);
            a10 = g.fma(v0, a10);
            a11 = g.fma(v1, a11);
            g = FloatVector.fromArray(S, d, di + 2 * rowPitch + k);
            a20 = g.fma(v0, a20);
            a21 = g.fma(v1, a21);
            g = FloatVector.fromArray(S, d, di + 3 * rowPitch + k);
            a30 = g.fma(v0, a30);
            a31 = g.fma(v1, a31);
        }
        sums[si] += a00.reduceLanes(VectorOperators.ADD);
        sums[si + 1] += a01.reduceLanes(VectorOperators.ADD);
        sums[si + sumPitch] += a10.reduceLanes(VectorOperators.ADD);
        sums[si + sumPitch + 1] += a11.reduceLanes(VectorOperators.ADD);
        sums[si + 2 * sumPitch] += a20.reduceLanes(VectorOperators.ADD);
        sums[si + 2 * sumPitch + 1] += a21.reduceLanes(VectorOperators.ADD);
        sums[si + 3 * sumPitch] += a30.reduceLanes(VectorOperators.ADD);
        sums[si + 3 * sumPitch + 1] += a31.reduceLanes(VectorOperators.ADD);
    }

    private static float dot(int length, float[] d, int di, float[] v, int vi) {
        FloatVector a = FloatVector.zero(S);
        for (int k = 0; k < length; k += VL) {
            a = FloatVector.fromArray(S, d, di + k).fma(FloatVector.fromArray(S, v, vi + k), a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    /** dw[o][c] += Gᵀ·dU[o][c]·G for the summed dU[ξ][o][c]. */
    static void addToWeights(float[] sums, int outC, int inC, float[] dw, int dwOff) {
        int points = outC * inC;
        for (int oc = 0; oc < points; oc++) {
            for (int k = 0; k < 3; k++) {
                // Row k of Gᵀ·dU, column by column, then that row times G.
                float t0 = timesG(k, sums[oc], sums[4 * points + oc], sums[8 * points + oc], sums[12 * points + oc]);
                float t1 = timesG(k, sums[points + oc], sums[5 * points + oc], sums[9 * points + oc], sums[13 * points + oc]);
                float t2 = timesG(k, sums[2 * points + oc], sums[6 * points + oc], sums[10 * points + oc], sums[14 * points + oc]);
                float t3 = timesG(k, sums[3 * points + oc], sums[7 * points + oc], sums[11 * points + oc], sums[15 * points + oc]);
                int at = dwOff + oc * 9 + 3 * k;
                dw[at] += timesG(0, t0, t1, t2, t3);
                dw[at + 1] += timesG(1, t0, t1, t2, t3);
                dw[at + 2] += timesG(2, t0, t1, t2, t3);
            }
        }
    }

    /** Σ_a G[a][k]·u_a, G's rows being (1,0,0) (½,½,½) (½,−½,½) (0,0,1). */
    private static float timesG(int k, float u0, float u1, float u2, float u3) {
        return switch (k) {
            case 0 -> u0 + 0.5f * (u1 + u2);
            case 1 -> 0.5f * (u1 - u2);
            default -> 0.5f * (u1 + u2) + u3;
        };
    }

    /** Zeroes the per-shape scratch whose untouched parts must read as zero. */
    static void clear(float[] blocks, int height, int width, float[] sums, int outC, int inC) {
        Arrays.fill(blocks, 0, Winograd3x3.blocksSize(height, width), 0f);
        Arrays.fill(sums, 0, POINTS * outC * inC, 0f);
    }
}
