package ember.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
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

    private static final VectorSpecies<Float> S = Simd.FLOATS;
    private static final int VL = S.length();

    // Two-vector lane shuffles (indices ≥ VL pick from the second vector): split a row into
    // its even and odd columns, and zip two rows of columns back together.
    private static final VectorShuffle<Float> EVEN_LANES = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD_LANES = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(S, i -> i % 2 * VL + i / 2);
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromOp(S, i -> i % 2 * VL + VL / 2 + i / 2);

    // The same at half width, for rows too short for whole vectors (8 wide with 8 lanes).
    private static final VectorSpecies<Float> HALF = S.withShape(VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final int HL = HALF.length();
    private static final VectorShuffle<Float> HALF_EVEN_LANES = VectorShuffle.fromOp(HALF, i -> 2 * i);
    private static final VectorShuffle<Float> HALF_ODD_LANES = VectorShuffle.fromOp(HALF, i -> 2 * i + 1);
    private static final VectorShuffle<Float> HALF_ZIP_LOW = VectorShuffle.fromOp(HALF, i -> i % 2 * HL + i / 2);
    private static final VectorShuffle<Float> HALF_ZIP_HIGH = VectorShuffle.fromOp(HALF, i -> i % 2 * HL + HL / 2 + i / 2);

    /** Whether this shape can run here: the tiles must cover the image exactly. */
    static boolean fits(int height, int width) {
        return height % 2 == 0 && width % 2 == 0;
    }

    static int pitch(int width) {
        return width / 2 + 1;
    }

    /** Tiles per plane, the junk column included. */
    static int tiles(int height, int width) {
        return height / 2 * pitch(width);
    }

    /** Tiles one vector loop over a plane covers: {@link #tiles} rounded up to whole vectors. */
    static int span(int height, int width) {
        return roundUp(tiles(height, width));
    }

    private static int roundUp(int n) {
        return (n + VL - 1) / VL * VL;
    }

    /**
     * Tiles that a group of images should have in all. The images of a group are transformed
     * side by side, each row (point, channel) holding their tiles back to back, so that small
     * images still give the channel-mixing kernel long rows to reuse its weights over.
     */
    private static final int GROUP_TILES = Integer.getInteger("ember.winogradGroupTiles", 64);

    /** Images per group. */
    static int group(int height, int width) {
        return Math.max(1, GROUP_TILES / tiles(height, width));
    }

    /** Floats from one row of a group's transform to the next: room for the last image's vectors to run past. */
    static int rowPitch(int height, int width) {
        return roundUp(group(height, width) * tiles(height, width)) + VL;
    }

    /** Tiles of a row that the kernels cover for a group of this many images. */
    static int rowLength(int images, int height, int width) {
        return roundUp(images * tiles(height, width));
    }

    /** Floats of one quarter plane, with room for the shifted reads of the last vector. */
    static int quarterSize(int height, int width) {
        return (height / 2 + 1) * pitch(width) + VL;
    }

    /** Floats of the four quarter planes of every channel. */
    static int quartersSize(int channels, int height, int width) {
        return channels * 4 * quarterSize(height, width);
    }

    /** Floats of a group of images in the transform domain: 16 points × channels rows. */
    static int transformedSize(int channels, int height, int width) {
        return POINTS * channels * rowPitch(height, width);
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
     * y[o] = Σ_c w[o][c] ⋆ x[c] for a group of images (at most {@link #group}, NCHW one after
     * another). quarters must have been cleared by {@link #clearQuarters} for this shape;
     * transformed and products are scratch of {@link #transformedSize} for inC and outC,
     * blocks of {@link #blocksSize}.
     */
    static void convolve(int inC, int outC, int height, int width, float[] x, int xOff, int images, float[] packed,
                         float[] quarters, float[] transformed, float[] products, float[] blocks,
                         float[] y, int yOff) {
        int tiles = tiles(height, width), span = span(height, width), rowPitch = rowPitch(height, width);
        int qs = quarterSize(height, width), plane = height * width;
        for (int g = 0; g < images; g++) {
            for (int c = 0; c < inC; c++) {
                splitIntoQuarters(x, xOff + (g * inC + c) * plane, height, width, quarters, c * 4 * qs, qs);
                transformInput(quarters, c * 4 * qs, qs, pitch(width), span, transformed, c * rowPitch + g * tiles,
                        inC * rowPitch);
            }
        }
        multiply(inC, outC, rowLength(images, height, width), rowPitch, packed, transformed, products);
        for (int g = 0; g < images; g++) {
            for (int o = 0; o < outC; o++) {
                transformOutput(products, o * rowPitch + g * tiles, outC * rowPitch, span, blocks);
                interleave(blocks, span, height, width, y, yOff + (g * outC + o) * plane);
            }
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
            for (; col + 2 * HL <= width; col += 2 * HL) {
                FloatVector a = FloatVector.fromArray(HALF, x, src + col), b = FloatVector.fromArray(HALF, x, src + col + HL);
                a.rearrange(HALF_EVEN_LANES, b).intoArray(q, base + qs + col / 2);
                a.rearrange(HALF_ODD_LANES, b).intoArray(q, base + col / 2 + 1);
            }
            for (; col < width; col += 2) {
                q[base + qs + col / 2] = x[src + col];
                q[base + col / 2 + 1] = x[src + col + 1];
            }
        }
    }

    /**
     * V = Bᵀ·d·B for every tile of one channel; point (a, b) goes to v + (4a + b)·pointStride.
     * Patch row r lives in quarters (r mod 2, ·) shifted by (r / 2)·P; the rows of Bᵀ·d are
     * d0 − d2, d1 + d2, d2 − d1 and d1 − d3.
     */
    static void transformInput(float[] q, int qOff, int qs, int p, int span, float[] v, int vOff,
                               int pointStride) {
        int row0 = qOff, row1 = qOff + 2 * qs, row2 = qOff + p, row3 = qOff + 2 * qs + p;
        transformInputRow(q, row0, row2, -1f, qs, span, v, vOff, pointStride);
        transformInputRow(q, row1, row2, 1f, qs, span, v, vOff + 4 * pointStride, pointStride);
        transformInputRow(q, row2, row1, -1f, qs, span, v, vOff + 8 * pointStride, pointStride);
        transformInputRow(q, row1, row3, -1f, qs, span, v, vOff + 12 * pointStride, pointStride);
    }

    /**
     * One row of Bᵀ·d, patch row first + sign·second, times B: (t0 − t2, t1 + t2, t2 − t1,
     * t1 − t3). A patch row's columns 0..3 are its quarter (·, 0), (·, 1) = +qs, and both +1.
     * Kept small: a method the JIT finds too big loses its vector intrinsics.
     */
    private static void transformInputRow(float[] q, int first, int second, float sign, int qs, int span,
                                          float[] v, int out, int ps) {
        FloatVector k = FloatVector.broadcast(S, sign);
        for (int f = 0; f < span; f += VL) {
            FloatVector t0 = load(q, second + f).fma(k, load(q, first + f));
            FloatVector t1 = load(q, second + qs + f).fma(k, load(q, first + qs + f));
            FloatVector t2 = load(q, second + 1 + f).fma(k, load(q, first + 1 + f));
            FloatVector t3 = load(q, second + qs + 1 + f).fma(k, load(q, first + qs + 1 + f));
            t0.sub(t2).intoArray(v, out + f);
            t1.add(t2).intoArray(v, out + ps + f);
            t2.sub(t1).intoArray(v, out + 2 * ps + f);
            t1.sub(t3).intoArray(v, out + 3 * ps + f);
        }
    }

    /** Y = Aᵀ·m·A for every tile of one output channel, into the 4 output quarters of blocks (span apart). */
    private static void transformOutput(float[] m, int mOff, int pointStride, int span, float[] blocks) {
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

    /** products[ξ][o][f] = Σ_c U[ξ][o][c] · V[ξ][c][f] for f < length, per point a small matrix product; rows rowPitch apart. */
    private static void multiply(int inC, int outC, int length, int rowPitch, float[] u, float[] v, float[] m) {
        int vectors = length / VL;
        for (int xi = 0; xi < POINTS; xi++) {
            int uBase = xi * outC * inC, vBase = xi * inC * rowPitch, mBase = xi * outC * rowPitch;
            int o0 = 0;
            for (; o0 + TILE <= outC; o0 += TILE) {
                int uAt = uBase + o0 * inC, mAt = mBase + o0 * rowPitch;
                int k = 0;
                for (; k + 3 <= vectors; k += 3) {
                    tile4x3(inC, rowPitch, u, uAt, v, vBase + k * VL, m, mAt + k * VL);
                }
                for (; k + 2 <= vectors; k += 2) {
                    tile4x2(inC, rowPitch, u, uAt, v, vBase + k * VL, m, mAt + k * VL);
                }
                for (; k < vectors; k++) {
                    tile4x1(inC, rowPitch, u, uAt, v, vBase + k * VL, m, mAt + k * VL);
                }
            }
            for (; o0 < outC; o0++) {
                for (int k = 0; k < vectors; k++) {
                    tile1x1(inC, rowPitch, u, uBase + o0 * inC, v, vBase + k * VL, m, mBase + o0 * rowPitch + k * VL);
                }
            }
        }
    }

    /** 12 accumulators, 3 loads and 4 broadcasts per 12 FMAs: the most that 16 AVX2 registers hold. */
    private static void tile4x3(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
        for (int c = 0; c < inC; c++, ui += TILE, vi += rowPitch) {
            FloatVector x0 = load(v, vi), x1 = load(v, vi + VL), x2 = load(v, vi + 2 * VL);
            FloatVector w = FloatVector.broadcast(S, u[ui]);
            a00 = x0.fma(w, a00);
            a01 = x1.fma(w, a01);
            a02 = x2.fma(w, a02);
            w = FloatVector.broadcast(S, u[ui + 1]);
            a10 = x0.fma(w, a10);
            a11 = x1.fma(w, a11);
            a12 = x2.fma(w, a12);
            w = FloatVector.broadcast(S, u[ui + 2]);
            a20 = x0.fma(w, a20);
            a21 = x1.fma(w, a21);
            a22 = x2.fma(w, a22);
            w = FloatVector.broadcast(S, u[ui + 3]);
            a30 = x0.fma(w, a30);
            a31 = x1.fma(w, a31);
            a32 = x2.fma(w, a32);
        }
        a00.intoArray(m, mi);
        a01.intoArray(m, mi + VL);
        a02.intoArray(m, mi + 2 * VL);
        mi += rowPitch;
        a10.intoArray(m, mi);
        a11.intoArray(m, mi + VL);
        a12.intoArray(m, mi + 2 * VL);
        mi += rowPitch;
        a20.intoArray(m, mi);
        a21.intoArray(m, mi + VL);
        a22.intoArray(m, mi + 2 * VL);
        mi += rowPitch;
        a30.intoArray(m, mi);
        a31.intoArray(m, mi + VL);
        a32.intoArray(m, mi + 2 * VL);
    }

    private static void tile4x2(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
        FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int c = 0; c < inC; c++, ui += TILE, vi += rowPitch) {
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
        a10.intoArray(m, mi + rowPitch);
        a11.intoArray(m, mi + rowPitch + VL);
        a20.intoArray(m, mi + 2 * rowPitch);
        a21.intoArray(m, mi + 2 * rowPitch + VL);
        a30.intoArray(m, mi + 3 * rowPitch);
        a31.intoArray(m, mi + 3 * rowPitch + VL);
    }

    private static void tile4x1(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < inC; c++, ui += TILE, vi += rowPitch) {
            FloatVector x = load(v, vi);
            a0 = x.fma(FloatVector.broadcast(S, u[ui]), a0);
            a1 = x.fma(FloatVector.broadcast(S, u[ui + 1]), a1);
            a2 = x.fma(FloatVector.broadcast(S, u[ui + 2]), a2);
            a3 = x.fma(FloatVector.broadcast(S, u[ui + 3]), a3);
        }
        a0.intoArray(m, mi);
        a1.intoArray(m, mi + rowPitch);
        a2.intoArray(m, mi + 2 * rowPitch);
        a3.intoArray(m, mi + 3 * rowPitch);
    }

    private static void tile1x1(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a = FloatVector.zero(S);
        for (int c = 0; c < inC; c++, ui++, vi += rowPitch) {
            a = load(v, vi).fma(FloatVector.broadcast(S, u[ui]), a);
        }
        a.intoArray(m, mi);
    }

    /** y[2i + r][2j + s] = block (r, s) at tile i·P + j, dropping the junk column. */
    private static void interleave(float[] blocks, int span, int height, int width, float[] y, int yOff) {
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
                for (; j + HL <= width / 2; j += HL) {
                    FloatVector even = FloatVector.fromArray(HALF, blocks, src + j);
                    FloatVector odd = FloatVector.fromArray(HALF, blocks, src + span + j);
                    even.rearrange(HALF_ZIP_LOW, odd).intoArray(y, dst + 2 * j);
                    even.rearrange(HALF_ZIP_HIGH, odd).intoArray(y, dst + 2 * j + HL);
                }
                for (; j < width / 2; j++) {
                    y[dst + 2 * j] = blocks[src + j];
                    y[dst + 2 * j + 1] = blocks[src + span + j];
                }
            }
        }
    }

    /** The inverse of {@link #interleave}: blocks (r, s) at tile i·P + j get y[2i + r][2j + s]; junk columns are not written. */
    static void deinterleave(float[] y, int yOff, int height, int width, float[] blocks, int span) {
        int p = pitch(width);
        for (int i = 0; i < height / 2; i++) {
            for (int r = 0; r < 2; r++) {
                int src = yOff + (2 * i + r) * width, dst = 2 * r * span + i * p;
                int j = 0;
                for (; j + VL <= width / 2; j += VL) {
                    FloatVector a = load(y, src + 2 * j), b = load(y, src + 2 * j + VL);
                    a.rearrange(EVEN_LANES, b).intoArray(blocks, dst + j);
                    a.rearrange(ODD_LANES, b).intoArray(blocks, dst + span + j);
                }
                for (; j + HL <= width / 2; j += HL) {
                    FloatVector a = FloatVector.fromArray(HALF, y, src + 2 * j), b = FloatVector.fromArray(HALF, y, src + 2 * j + HL);
                    a.rearrange(HALF_EVEN_LANES, b).intoArray(blocks, dst + j);
                    a.rearrange(HALF_ODD_LANES, b).intoArray(blocks, dst + span + j);
                }
                for (; j < width / 2; j++) {
                    blocks[dst + j] = y[src + 2 * j];
                    blocks[dst + span + j] = y[src + 2 * j + 1];
                }
            }
        }
    }
}
