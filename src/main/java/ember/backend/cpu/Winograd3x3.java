package ember.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(2×2, 3×3) for 3×3, stride 1, pad 1 convolutions of one NCHW image with even
 * height and width. Each 2×2 block of outputs comes from its 4×4 input patch with 16
 * multiply-adds per (out, in) channel pair instead of 36, so the channel-mixing work, which
 * is nearly all of the arithmetic, drops 2.25×; the transforms are additions per channel.
 *
 * <p>Layout that keeps every step a flat vector loop: the zero-bordered image is split into
 * its four (row parity, column parity) quarter planes, each with pitch P = width/2 + 1, so
 * the 16 inputs of tile f = i·P + j are reads at f, f+1, f+P and f+P+1 of the quarters. Tile
 * column j = width/2 is computed and dropped. Backward-data is the same convolution of dy with
 * the weights transposed and flipped.
 */
final class Winograd3x3 {
    private Winograd3x3() {}

    /** Transform points of a 4×4 patch. */
    static final int POINTS = 16;

    /** Output channels per register tile of the channel-mixing kernel. */
    private static final int TILE = 4;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();

    // Two-vector lane shuffles (indices ≥ VL pick from the second vector): split a row into
    // its even and odd columns, and zip two rows of columns back together.
    private static final VectorShuffle<Float> EVEN_LANES = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD_LANES = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(S, i -> i % 2 * VL + i / 2);
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromOp(S, i -> i % 2 * VL + VL / 2 + i / 2);

    /** Whether this shape can run here: the tiles must cover the image exactly. */
    static boolean fits(int height, int width) {
        return height % 2 == 0 && width % 2 == 0;
    }

    static int pitch(int width) {
        return width / 2 + 1;
    }

    /** Tiles computed per plane, junk column included, rounded up to whole vectors. */
    static int span(int height, int width) {
        int tiles = height / 2 * pitch(width);
        return (tiles + VL - 1) / VL * VL;
    }

    /** Floats of one quarter plane, with room for the shifted reads of the last vector. */
    private static int quarterSize(int height, int width) {
        return (height / 2 + 1) * pitch(width) + VL;
    }

    /** Floats of the four quarter planes of every channel. */
    static int quartersSize(int channels, int height, int width) {
        return channels * 4 * quarterSize(height, width);
    }

    /** Floats of one image in the transform domain: 16 points × channels × span. */
    static int transformedSize(int channels, int height, int width) {
        return POINTS * channels * span(height, width);
    }

    /** Floats of the 4 output quarter planes of one channel. */
    static int blocksSize(int height, int width) {
        return 4 * span(height, width);
    }

    /** Zeroes the quarter planes once; per-image copies then only rewrite the interior. */
    static void clearQuarters(float[] quarters, int channels, int height, int width) {
        Arrays.fill(quarters, 0, quartersSize(channels, height, width), 0f);
    }

    /**
     * U = G·g·Gᵀ for every (out, in) pair, packed per point so that a tile of 4 output
     * channels reads its (in channel, channel-in-tile) values in order. flip packs for
     * backward-data (w'[c][o][8 − t] = w[o][c][t]; outC, inC are then the convolution's as
     * the kernel sees it).
     */
    static void transformWeights(float[] w, int wOff, int outC, int inC, boolean flip, float[] packed) {
        int fullTiles = outC / TILE * TILE, points = outC * inC;
        for (int o = 0; o < outC; o++) {
            int o0 = o < fullTiles ? o / TILE * TILE : o, tile = o < fullTiles ? TILE : 1;
            for (int c = 0; c < inC; c++) {
                int at = o0 * inC + c * tile + (o - o0);
                int base = flip ? wOff + (c * outC + o) * 9 : wOff + (o * inC + c) * 9;
                for (int a = 0; a < 4; a++) {
                    // Row a of G·g (rows of G: (1,0,0) (½,½,½) (½,−½,½) (0,0,1)), then times Gᵀ.
                    float r0 = gRow(w, base, flip, a, 0), r1 = gRow(w, base, flip, a, 1), r2 = gRow(w, base, flip, a, 2);
                    packed[(4 * a) * points + at] = r0;
                    packed[(4 * a + 1) * points + at] = 0.5f * (r0 + r1 + r2);
                    packed[(4 * a + 2) * points + at] = 0.5f * (r0 - r1 + r2);
                    packed[(4 * a + 3) * points + at] = r2;
                }
            }
        }
    }

    /** (G·g)[a][k], reading g[j][k] flipped (g'[t] = g[8 − t]) for backward-data. */
    private static float gRow(float[] w, int base, boolean flip, int a, int k) {
        float g0 = tap(w, base, flip, k), g1 = tap(w, base, flip, 3 + k), g2 = tap(w, base, flip, 6 + k);
        return switch (a) {
            case 0 -> g0;
            case 1 -> 0.5f * (g0 + g1 + g2);
            case 2 -> 0.5f * (g0 - g1 + g2);
            default -> g2;
        };
    }

    private static float tap(float[] w, int base, boolean flip, int t) {
        return w[base + (flip ? 8 - t : t)];
    }

    /**
     * y[o] = Σ_c w[o][c] ⋆ x[c] for one image. quarters must have been cleared by
     * {@link #clearQuarters} for this shape; transformed and products are scratch of
     * {@link #transformedSize} for inC and outC, blocks of {@link #blocksSize}.
     */
    static void convolve(int inC, int outC, int height, int width, float[] x, int xOff, float[] packed,
                         float[] quarters, float[] transformed, float[] products, float[] blocks,
                         float[] y, int yOff) {
        int span = span(height, width), qs = quarterSize(height, width);
        for (int c = 0; c < inC; c++) {
            splitIntoQuarters(x, xOff + c * height * width, height, width, quarters, c * 4 * qs, qs);
            transformInput(quarters, c * 4 * qs, qs, pitch(width), span, transformed, c * span, inC * span);
        }
        multiply(inC, outC, span, packed, transformed, products);
        for (int o = 0; o < outC; o++) {
            transformOutput(products, o * span, outC * span, span, blocks);
            interleave(blocks, span, height, width, y, yOff + o * height * width);
        }
    }

    /** Quarter (r, s) holds the bordered image's rows ≡ r and columns ≡ s (mod 2), border at row/column 0. */
    static void splitIntoQuarters(float[] x, int off, int height, int width, float[] q, int qOff, int qs) {
        int p = pitch(width);
        for (int row = 0; row < height; row++) {
            int bordered = row + 1, r = bordered & 1, base = qOff + 2 * r * qs + (bordered >> 1) * p;
            int src = off + row * width;
            // Even image columns are odd bordered columns (quarter s = 1), odd ones even (s = 0).
            int col = 0;
            for (; col + 2 * VL <= width; col += 2 * VL) {
                FloatVector a = load(x, src + col), b = load(x, src + col + VL);
                a.rearrange(EVEN_LANES, b).intoArray(q, base + qs + col / 2);
                a.rearrange(ODD_LANES, b).intoArray(q, base + col / 2 + 1);
            }
            for (; col < width; col += 2) {
                q[base + qs + col / 2] = x[src + col];
                q[base + col / 2 + 1] = x[src + col + 1];
            }
        }
    }

    /**
     * V = Bᵀ·d·B for every tile of one channel; point (a, b) goes to v + (4a + b)·pointStride.
     * Written out in full: a helper taking vectors that the JIT declines to inline boxes them.
     */
    static void transformInput(float[] q, int qOff, int qs, int p, int span, float[] v, int vOff,
                                       int pointStride) {
        int q00 = qOff, q01 = qOff + qs, q10 = qOff + 2 * qs, q11 = qOff + 3 * qs, ps = pointStride;
        for (int f = 0; f < span; f += VL) {
            // Patch row r lives in quarters (r mod 2, ·) at f + (r / 2)·P; its columns 0..3 in
            // quarters (·, 0), (·, 1), (·, 0) + 1, (·, 1) + 1.
            int near = f, far = f + p, out = vOff + f;
            FloatVector d00 = load(q, q00 + near), d01 = load(q, q01 + near);
            FloatVector d02 = load(q, q00 + near + 1), d03 = load(q, q01 + near + 1);
            FloatVector d10 = load(q, q10 + near), d11 = load(q, q11 + near);
            FloatVector d12 = load(q, q10 + near + 1), d13 = load(q, q11 + near + 1);
            FloatVector d20 = load(q, q00 + far), d21 = load(q, q01 + far);
            FloatVector d22 = load(q, q00 + far + 1), d23 = load(q, q01 + far + 1);
            // Rows of Bᵀ·d: (d0 − d2, d1 + d2, d2 − d1, d1 − d3); each then times B along the columns.
            FloatVector t0 = d00.sub(d20), t1 = d01.sub(d21), t2 = d02.sub(d22), t3 = d03.sub(d23);
            t0.sub(t2).intoArray(v, out);
            t1.add(t2).intoArray(v, out + ps);
            t2.sub(t1).intoArray(v, out + 2 * ps);
            t1.sub(t3).intoArray(v, out + 3 * ps);
            t0 = d10.add(d20);
            t1 = d11.add(d21);
            t2 = d12.add(d22);
            t3 = d13.add(d23);
            t0.sub(t2).intoArray(v, out + 4 * ps);
            t1.add(t2).intoArray(v, out + 5 * ps);
            t2.sub(t1).intoArray(v, out + 6 * ps);
            t1.sub(t3).intoArray(v, out + 7 * ps);
            t0 = d20.sub(d10);
            t1 = d21.sub(d11);
            t2 = d22.sub(d12);
            t3 = d23.sub(d13);
            t0.sub(t2).intoArray(v, out + 8 * ps);
            t1.add(t2).intoArray(v, out + 9 * ps);
            t2.sub(t1).intoArray(v, out + 10 * ps);
            t1.sub(t3).intoArray(v, out + 11 * ps);
            t0 = d10.sub(load(q, q10 + far));
            t1 = d11.sub(load(q, q11 + far));
            t2 = d12.sub(load(q, q10 + far + 1));
            t3 = d13.sub(load(q, q11 + far + 1));
            t0.sub(t2).intoArray(v, out + 12 * ps);
            t1.add(t2).intoArray(v, out + 13 * ps);
            t2.sub(t1).intoArray(v, out + 14 * ps);
            t1.sub(t3).intoArray(v, out + 15 * ps);
        }
    }

    /** Y = Aᵀ·m·A for every tile of one output channel, into the 4 output quarters of blocks (span apart). */
    static void transformOutput(float[] m, int mOff, int pointStride, int span, float[] blocks) {
        int ps = pointStride;
        for (int f = 0; f < span; f += VL) {
            int at = mOff + f;
            // Aᵀ has rows (1, 1, 1, 0) and (0, 1, −1, −1): first down each column b, then along the rows.
            FloatVector m1 = load(m, at + 4 * ps), m2 = load(m, at + 8 * ps);
            FloatVector s0 = load(m, at).add(m1).add(m2), d0 = m1.sub(m2).sub(load(m, at + 12 * ps));
            m1 = load(m, at + 5 * ps);
            m2 = load(m, at + 9 * ps);
            FloatVector s1 = load(m, at + ps).add(m1).add(m2), d1 = m1.sub(m2).sub(load(m, at + 13 * ps));
            m1 = load(m, at + 6 * ps);
            m2 = load(m, at + 10 * ps);
            FloatVector s2 = load(m, at + 2 * ps).add(m1).add(m2), d2 = m1.sub(m2).sub(load(m, at + 14 * ps));
            m1 = load(m, at + 7 * ps);
            m2 = load(m, at + 11 * ps);
            FloatVector s3 = load(m, at + 3 * ps).add(m1).add(m2), d3 = m1.sub(m2).sub(load(m, at + 15 * ps));
            s0.add(s1).add(s2).intoArray(blocks, f);
            s1.sub(s2).sub(s3).intoArray(blocks, span + f);
            d0.add(d1).add(d2).intoArray(blocks, 2 * span + f);
            d1.sub(d2).sub(d3).intoArray(blocks, 3 * span + f);
        }
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }

    /** products[ξ][o][f] = Σ_c U[ξ][o][c] · V[ξ][c][f], per point a small matrix product. */
    static void multiply(int inC, int outC, int span, float[] u, float[] v, float[] m) {
        int vectors = span / VL;
        for (int xi = 0; xi < POINTS; xi++) {
            int uBase = xi * outC * inC, vBase = xi * inC * span, mBase = xi * outC * span;
            int o0 = 0;
            for (; o0 + TILE <= outC; o0 += TILE) {
                int k = 0;
                for (; k + 2 <= vectors; k += 2) {
                    tile4x2(inC, span, u, uBase + o0 * inC, v, vBase + k * VL, m, mBase + o0 * span + k * VL);
                }
                for (; k < vectors; k++) {
                    tile4x1(inC, span, u, uBase + o0 * inC, v, vBase + k * VL, m, mBase + o0 * span + k * VL);
                }
            }
            for (; o0 < outC; o0++) {
                for (int k = 0; k < vectors; k++) {
                    tile1x1(inC, span, u, uBase + o0 * inC, v, vBase + k * VL, m, mBase + o0 * span + k * VL);
                }
            }
        }
    }

    private static void tile4x2(int inC, int span, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
        FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int c = 0; c < inC; c++, ui += TILE, vi += span) {
            FloatVector x0 = load(v, vi), x1 = load(v, vi + VL);
            FloatVector w = FloatVector.broadcast(S, u[ui]);
            a00 = x0.fma(w, a00);
            a01 = x1.fma(w, a01);
            w = FloatVector.broadcast(S, u[ui + 1]);
            a10 = x0.fma(w, a10);
            a11 = x1.fma(w, a11);
            w = FloatVector.broadcast(S, u[ui + 2]);
            a20 = x0.fma(w, a20);
            a21 = x1.fma(w, a21);
            w = FloatVector.broadcast(S, u[ui + 3]);
            a30 = x0.fma(w, a30);
            a31 = x1.fma(w, a31);
        }
        a00.intoArray(m, mi);
        a01.intoArray(m, mi + VL);
        a10.intoArray(m, mi + span);
        a11.intoArray(m, mi + span + VL);
        a20.intoArray(m, mi + 2 * span);
        a21.intoArray(m, mi + 2 * span + VL);
        a30.intoArray(m, mi + 3 * span);
        a31.intoArray(m, mi + 3 * span + VL);
    }

    private static void tile4x1(int inC, int span, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < inC; c++, ui += TILE, vi += span) {
            FloatVector x = load(v, vi);
            a0 = x.fma(FloatVector.broadcast(S, u[ui]), a0);
            a1 = x.fma(FloatVector.broadcast(S, u[ui + 1]), a1);
            a2 = x.fma(FloatVector.broadcast(S, u[ui + 2]), a2);
            a3 = x.fma(FloatVector.broadcast(S, u[ui + 3]), a3);
        }
        a0.intoArray(m, mi);
        a1.intoArray(m, mi + span);
        a2.intoArray(m, mi + 2 * span);
        a3.intoArray(m, mi + 3 * span);
    }

    private static void tile1x1(int inC, int span, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a = FloatVector.zero(S);
        for (int c = 0; c < inC; c++, ui++, vi += span) {
            a = load(v, vi).fma(FloatVector.broadcast(S, u[ui]), a);
        }
        a.intoArray(m, mi);
    }

    /** y[2i + r][2j + s] = block (r, s) at tile i·P + j, dropping the junk column. */
    static void interleave(float[] blocks, int span, int height, int width, float[] y, int yOff) {
        int p = pitch(width);
        for (int i = 0; i < height / 2; i++) {
            for (int r = 0; r < 2; r++) {
                int dst = yOff + (2 * i + r) * width, src = 2 * r * span + i * p;
                int j = 0;
                for (; j + VL <= width / 2; j += VL) {
                    FloatVector even = load(blocks, src + j), odd = load(blocks, src + span + j);
                    even.rearrange(ZIP_LOW, odd).intoArray(y, dst + 2 * j);
                    even.rearrange(ZIP_HIGH, odd).intoArray(y, dst + 2 * j + VL);
                }
                for (; j < width / 2; j++) {
                    y[dst + 2 * j] = blocks[src + j];
                    y[dst + 2 * j + 1] = blocks[src + span + j];
                }
            }
        }
    }
}
