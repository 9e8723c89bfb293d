package ember.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(4×4, 3×3) for 3×3, stride 1, pad 1 convolutions of NCHW images whose height and
 * width are multiples of 4. Each 4×4 block of outputs comes from its 6×6 input patch with 36
 * multiply-adds per (out, in) channel pair instead of 144, so the channel-mixing work, nearly
 * all of the arithmetic, drops 4×; the transforms are a few additions per value. The
 * interpolation points are 0, ±1, ½, −2 and ∞ rather than the usual 0, ±1, ±2, ∞: in float32
 * that cuts the largest error of a 64-channel convolution about 3× (numpy, against float64).
 *
 * <p>Layout that keeps every step a flat vector loop: the images of a group sit side by side
 * in one wide zero-bordered image, each width + 1 columns apart (the one zero column between
 * neighbours is the right padding of one and the left padding of the next). That image is
 * split into its 16 phase planes (row mod 4, column mod 4), each with pitch P tiles, so value
 * (a, b) of the patch of tile f = i·P + j is at f + (a/4)·P + b/4 of plane (a mod 4, b mod 4).
 * Tiles straddle images; outputs that fall on the zero columns are computed and dropped: one
 * column in 9 at 8×8, 17 at 16×16 and 33 at 32×32 (with two zero columns between images it was
 * one in 5, 9 and 17, and the 64-channel weight gradient took 9.0–10.2 ms instead of 7.1–7.5;
 * with images width + 4 apart, each starting on a tile, one in 3, 5 and 9). Images arrive,
 * and outputs leave, stored by phase as well ({@link PhasePlanes}), so moving them in and out
 * copies whole rows of a phase. Transforms run in two passes (down the patch's columns, then
 * along its rows) through a small scratch that stays in L1. Backward-data is the same
 * convolution of dy with the weights transposed and flipped.
 */
final class Winograd3x3 {
    private Winograd3x3() {}

    /** Outputs per tile side, and input patch side. */
    static final int OUT = 4, PATCH = 6;

    /** Transform points of a 6×6 patch. */
    static final int POINTS = PATCH * PATCH;

    /**
     * Where the layout of every scratch array here begins ({@link Alignment#LEAD}): rows span
     * apart (passes, transforms, products, blocks) then start on cache lines, and a vector never
     * straddles two.
     */
    static final int ORIGIN = Alignment.LEAD;

    /** Output channels per register tile of the channel-mixing kernel. */
    private static final int TILE = 2;

    private static final VectorSpecies<Float> S = Simd.FLOATS;
    private static final int VL = S.length();
    private static final VectorSpecies<Float> HALF = narrower(2), QUARTER = narrower(4);
    private static final int HL = HALF.length(), QL = QUARTER.length();

    /**
     * With 16-float vectors (AVX-512, 32 vector registers) the mixing uses 4-channel tiles of 5
     * vectors: rows of 5 vectors (the 72 tiles of an 8×8 group) would otherwise fall to the
     * 2×3 and 2×1 tiles, and four broadcast weights reuse each load twice as often. With 16
     * registers (AVX2) such a tile would spill. -Dember.wideTiles=false turns it off.
     */
    private static final boolean WIDE_TILES = S.length() >= 16
            && Boolean.parseBoolean(System.getProperty("ember.wideTiles", "true"));

    /** S at 1/divisor of its width, but no narrower than 64 bits (2 floats), the narrowest vector. */
    private static VectorSpecies<Float> narrower(int divisor) {
        return S.withShape(VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / divisor)));
    }

    /**
     * Whether this shape can run here: the tiles must cover the image exactly, and the images
     * must be stored by phase, which is the same condition (one phase per tile position).
     */
    static boolean fits(int height, int width) {
        return PhasePlanes.applies(height, width);
    }

    /**
     * Tiles that a group of images should have in all, so that small images still give the
     * channel-mixing kernel long rows (whole 2×6 tiles) to reuse its weights over. In the whole
     * step 192 measured faster than 144, and 144 than 64, 96 or 384 (docs/exp2.md). At 8×8
     * {@link #MAX_GROUP_IMAGES} caps a group at 72 tiles (its transform at 64 channels: 0.66 MB),
     * or 144 where {@link #group} doubles it (1.3 MB).
     */
    private static final int GROUP_TILES = Integer.getInteger("ember.winogradGroupTiles", 192);

    /** Columns from one image of a group to the next: its own and the zero column after it. */
    private static int stride(int width) {
        return width + 1;
    }

    /**
     * Most images per group. Each image of a group is read as a stream of its own (at 8×8 and
     * 64 channels, 256 bytes per channel, 16 KB apart), and 32 of them stalled:
     * `ConvBenchmark` 64@8 took 24.2 and 24.9 ms for its three passes with 32, 20.4 and 20.6
     * with 16 (docs/exp2.md). {@link #group} may still double it where that fills whole vectors.
     */
    private static final int MAX_GROUP_IMAGES = 16;

    /**
     * Images per group: as many as {@link #GROUP_TILES} and {@link #MAX_GROUP_IMAGES} allow,
     * rounded down to a power of two so that groups divide a worker's share of a power-of-two
     * batch (64 of 128): a last, part-filled group costs as much as a full one. At 16×16, 9
     * images would leave 64 = 7·9 + 1. Where the cap holds a group to a part-filled last vector
     * and twice the images would fill whole ones, within the tile budget, it takes twice: at 8×8
     * and 512 bits, 16 images are 72 tiles in 80 lanes (every transform and product pays for the
     * 8 empty ones), 32 are 144 in 144, and `ConvBenchmark` 64@8's backward took 4.28 / 4.44 ms
     * against 5.78 / 5.33 (docs/exp2.md). At 256 bits 72 tiles fill 9 vectors, and 32 images
     * were no faster.
     */
    static int group(int height, int width) {
        int fit = GROUP_TILES * OUT / (height / OUT * stride(width));
        int images = Integer.highestOneBit(Math.max(1, Math.min(MAX_GROUP_IMAGES, fit)));
        boolean capped = images == MAX_GROUP_IMAGES && 2 * images <= fit;
        if (capped && tilesOf(images, height, width) % VL != 0 && tilesOf(2 * images, height, width) % VL == 0) {
            return 2 * images;
        }
        return images;
    }

    /** Tiles of a group of this many images, junk included. */
    private static int tilesOf(int images, int height, int width) {
        return height / OUT * pitchOf(images, width);
    }

    /** Tiles from one row of a group's tiles to the next: enough columns of 4 for every image and its zero columns. */
    static int pitch(int height, int width) {
        return pitchOf(group(height, width), width);
    }

    /** {@link #pitch} of a group of this many images. */
    private static int pitchOf(int images, int width) {
        return (images * stride(width) + OUT - 1) / OUT;
    }

    /** Tiles of a group, junk included. */
    static int tiles(int height, int width) {
        return tilesOf(group(height, width), height, width);
    }

    /** Tiles one vector loop over a group covers: {@link #tiles} rounded up to whole vectors; also the row pitch of a transform. */
    static int span(int height, int width) {
        return (tiles(height, width) + VL - 1) / VL * VL;
    }

    /** Floats of one phase plane, with room for the shifted reads of the last vector. */
    static int planeSize(int height, int width) {
        return (height / OUT + 1) * pitch(height, width) + VL;
    }

    /** Floats of the 16 phase planes of one channel of a group. */
    static int planesSize(int height, int width) {
        return ORIGIN + OUT * OUT * planeSize(height, width);
    }

    /** Floats of a group in the transform domain: 36 points × channels rows of span. */
    static int transformedSize(int channels, int height, int width) {
        return ORIGIN + POINTS * channels * span(height, width);
    }

    /** Floats of the 16 output phase blocks of one channel of a group (span apart). */
    static int blocksSize(int height, int width) {
        return ORIGIN + OUT * OUT * span(height, width);
    }

    /** Floats of the scratch between a transform's two passes: 36 rows of span. */
    static int passSize(int height, int width) {
        return ORIGIN + POINTS * span(height, width);
    }

    /** Zeroes the planes once; per-image copies then only rewrite the interior. */
    static void clearPlanes(float[] planes, int height, int width) {
        Arrays.fill(planes, 0, planesSize(height, width), 0f);
    }

    /**
     * U = G·g·Gᵀ for every (out, in) pair, packed per point so that a tile of 2 output
     * channels reads its (in channel, channel-in-tile) values in order. flip packs for
     * backward-data (w'[c][o][8 − t] = w[o][c][t]; outC, inC are then the convolution's as
     * the kernel sees it). Only output channels [from, to) are packed, so that workers can
     * share the job.
     */
    static void transformWeights(float[] w, int wOff, int outC, int inC, boolean flip, float[] packed, int from,
                                 int to) {
        int fullTiles = outC / TILE * TILE, points = outC * inC;
        for (int o = from; o < to; o++) {
            int o0 = o < fullTiles ? o / TILE * TILE : o, tile = o < fullTiles ? TILE : 1;
            for (int c = 0; c < inC; c++) {
                int at = o0 * inC + c * tile + (o - o0);
                int base = flip ? wOff + (c * outC + o) * 9 : wOff + (o * inC + c) * 9;
                for (int a = 0; a < PATCH; a++) {
                    // Row a of G·g, column by column, then that row times Gᵀ.
                    float r0 = timesG(a, tap(w, base, flip, 0), tap(w, base, flip, 3), tap(w, base, flip, 6));
                    float r1 = timesG(a, tap(w, base, flip, 1), tap(w, base, flip, 4), tap(w, base, flip, 7));
                    float r2 = timesG(a, tap(w, base, flip, 2), tap(w, base, flip, 5), tap(w, base, flip, 8));
                    for (int b = 0; b < PATCH; b++) {
                        packed[(PATCH * a + b) * points + at] = timesG(b, r0, r1, r2);
                    }
                }
            }
        }
    }

    /** Row a of G times (g0, g1, g2); G's rows (1,0,0) (⅓,⅓,⅓) (−⅓,⅓,−⅓) (−16,−8,−4)/15 (1,−2,4)/15 (0,0,1). */
    private static float timesG(int a, float g0, float g1, float g2) {
        return switch (a) {
            case 0 -> g0;
            case 1 -> (g0 + g1 + g2) / 3f;
            case 2 -> (g1 - g0 - g2) / 3f;
            case 3 -> -(16f * g0 + 8f * g1 + 4f * g2) / 15f;
            case 4 -> (g0 - 2f * g1 + 4f * g2) / 15f;
            default -> g2;
        };
    }

    /** Tap t of a 3×3 kernel, flipped (g'[t] = g[8 − t]) for backward-data. */
    private static float tap(float[] w, int base, boolean flip, int t) {
        return w[base + (flip ? 8 - t : t)];
    }

    /**
     * y[o] = Σ_c w[o][c] ⋆ x[c] for a group of images (at most {@link #group}, NCHW one after
     * another), x read through inputAffine as {@link #transformGroup} says; plus and after as
     * {@link #mixAndWrite} says. planes must have been cleared by {@link #clearPlanes} for this shape;
     * transformed and products are scratch of {@link #transformedSize} for inC and outC,
     * blocks of {@link #blocksSize}, pass of {@link #passSize}.
     */
    static void convolve(int inC, int outC, int height, int width, float[] x, int xOff, int images,
                         float[] inputAffine, float[] packed, float[] planes, float[] transformed, float[] products,
                         float[] blocks, float[] pass, float[] y, int yOff, float[] plus, int plusOff,
                         PlaneEpilogue after) {
        transformGroup(inC, height, width, x, xOff, images, inputAffine, planes, pass, transformed);
        mixAndWrite(inC, outC, height, width, images, packed, transformed, products, blocks, pass, y, yOff, plus,
                plusOff, after);
    }

    /**
     * The second half of {@link #convolve}: the group's transformed inputs mixed into outC
     * channels, written to y; with plus (else null), y = that + plus, laid out as y. With after
     * (else null), each plane of y goes through after as soon as it is written.
     */
    private static void mixAndWrite(int inC, int outC, int height, int width, int images, float[] packed,
                                    float[] transformed, float[] products, float[] blocks, float[] pass, float[] y,
                                    int yOff, float[] plus, int plusOff, PlaneEpilogue after) {
        int span = span(height, width), plane = height * width;
        multiply(inC, outC, span, packed, transformed, products);
        for (int o = 0; o < outC; o++) {
            transformOutput(products, ORIGIN + o * span, outC * span, span, pass, blocks);
            for (int g = 0; g < images; g++) {
                int at = (g * outC + o) * plane;
                interleave(blocks, g, height, width, y, yOff + at, plus, plusOff + at);
                if (after != null) {
                    after.apply(g, o, at);
                }
            }
        }
    }

    /**
     * V = Bᵀ·d·B of every tile of a group, channel by channel: row (point, channel) at
     * (point·channels + channel)·span. The slots a part-filled group leaves empty are cleared
     * first, and stay zero for whatever is split into the planes next: the tile that holds an
     * image's last columns reads the next slot's first column, which rounds (only rounds) those
     * outputs, so a stale image from a worker's earlier group would make the bits depend on the
     * schedule; and a weight gradient needs a zero output gradient there. With inputAffine
     * (else null), channel c is read as relu(x·inputAffine[2c] + inputAffine[2c + 1]).
     */
    static void transformGroup(int channels, int height, int width, float[] x, int xOff, int images,
                               float[] inputAffine, float[] planes, float[] pass, float[] v) {
        int plane = height * width, span = span(height, width);
        if (images < group(height, width)) {
            clearPlanes(planes, height, width);
        }
        for (int c = 0; c < channels; c++) {
            boolean normalize = inputAffine != null;
            float scale = normalize ? inputAffine[2 * c] : 0f, shift = normalize ? inputAffine[2 * c + 1] : 0f;
            for (int g = 0; g < images; g++) {
                splitIntoPlanes(x, xOff + (g * channels + c) * plane, g, height, width, planes, normalize, scale,
                        shift);
            }
            transformInput(planes, height, width, pass, v, ORIGIN + c * span, channels * span);
        }
    }

    /**
     * Plane (r, s) holds the group image's rows ≡ r and columns ≡ s (mod 4), the border at
     * row and column 0: pixel (y, x) of image g is at row y + 1, column g·(width + 1) + x + 1.
     * x holds the image's phases ({@link PhasePlanes}), so each phase moves as rows of width/4
     * values: phase (r, s) lands in plane ((r + 1) mod 4, c mod 4) from column c/4 on, where c
     * is the column of its first pixel, and one row further on where r is 3.
     */
    static void splitIntoPlanes(float[] x, int off, int g, int height, int width, float[] planes) {
        splitIntoPlanes(x, off, g, height, width, planes, false, 0f, 0f);
    }

    /**
     * With normalize, {@link #splitIntoPlanes} of relu(x·scale + shift): a batch norm + ReLU
     * applied on the way in.
     */
    private static void splitIntoPlanes(float[] x, int off, int g, int height, int width, float[] planes,
                                        boolean normalize, float scale, float shift) {
        int p = pitch(height, width), ps = planeSize(height, width), rows = height / OUT, columns = width / OUT;
        if (rows == 2 && columns == 2) {
            splitSmall(x, off, g * stride(width) + 1, p, ps, planes, normalize, scale, shift);
            return;
        }
        for (int r = 0; r < OUT; r++) {
            for (int s = 0; s < OUT; s++) {
                int column = g * stride(width) + s + 1;
                int src = off + (OUT * r + s) * rows * columns;
                int dst = ORIGIN + (OUT * ((r + 1) & 3) + (column & 3)) * ps + (r + 1 >> 2) * p + (column >> 2);
                if (normalize) {
                    normalizeRows(x, src, columns, planes, dst, p, rows, columns, scale, shift);
                } else {
                    copyRows(x, src, columns, planes, dst, p, rows, columns);
                }
            }
        }
    }

    /**
     * {@link #splitIntoPlanes} of an 8×8 image, whose phases are 2 rows of 2 values, written out
     * for each phase: through the general loops, with their per-row offsets and width tests,
     * the 64-channel weight gradient spent 28 % of its time here (JFR of `ConvBenchmark`).
     * Phase row r goes to plane row (r + 1) mod 4, one plane row further on where r is 3.
     */
    private static void splitSmall(float[] x, int off, int firstColumn, int p, int ps, float[] planes,
                                   boolean normalize, float scale, float shift) {
        for (int s = 0; s < OUT; s++) {
            int column = firstColumn + s, at = ORIGIN + (column & 3) * ps + (column >> 2);
            if (normalize) {
                normalize4(x, off + 4 * s, planes, at + OUT * ps, p, scale, shift);
                normalize4(x, off + 4 * (OUT + s), planes, at + 2 * OUT * ps, p, scale, shift);
                normalize4(x, off + 4 * (2 * OUT + s), planes, at + 3 * OUT * ps, p, scale, shift);
                normalize4(x, off + 4 * (3 * OUT + s), planes, at + p, p, scale, shift);
            } else {
                copy4(x, off + 4 * s, planes, at + OUT * ps, p);
                copy4(x, off + 4 * (OUT + s), planes, at + 2 * OUT * ps, p);
                copy4(x, off + 4 * (2 * OUT + s), planes, at + 3 * OUT * ps, p);
                copy4(x, off + 4 * (3 * OUT + s), planes, at + p, p);
            }
        }
    }

    /** A 2×2 phase: the 4 values at x[from] to rows at planes[to] and planes[to + p]. */
    private static void copy4(float[] x, int from, float[] planes, int to, int p) {
        planes[to] = x[from];
        planes[to + 1] = x[from + 1];
        planes[to + p] = x[from + 2];
        planes[to + p + 1] = x[from + 3];
    }

    /** {@link #copy4} of relu(x·scale + shift), rounded as {@link #normalizeRows}. */
    private static void normalize4(float[] x, int from, float[] planes, int to, int p, float scale, float shift) {
        planes[to] = Math.max(Math.fma(x[from], scale, shift), 0f);
        planes[to + 1] = Math.max(Math.fma(x[from + 1], scale, shift), 0f);
        planes[to + p] = Math.max(Math.fma(x[from + 2], scale, shift), 0f);
        planes[to + p + 1] = Math.max(Math.fma(x[from + 3], scale, shift), 0f);
    }

    /**
     * Where output phase (r, s) of tile f (its output (r, s)) lies in the planes of a group
     * split as images are: at f plus this. Outputs on the zero columns read zero.
     */
    static int phaseInPlanes(int r, int s, int height, int width) {
        return ORIGIN + (OUT * ((r + 1) & 3) + ((s + 1) & 3)) * planeSize(height, width)
                + (r + 1 >> 2) * pitch(height, width)
                + (s + 1 >> 2);
    }

    /**
     * Image g of a group: phase (r, s) of y, row i, is the row of block (r, c mod 4) at tile
     * i·P + c/4, where c is the wide image's column of the phase's first pixel. With plus
     * (else null), each row is added to plus's as it goes to y.
     */
    private static void interleave(float[] blocks, int g, int height, int width, float[] y, int yOff, float[] plus,
                                   int plusOff) {
        int p = pitch(height, width), span = span(height, width), rows = height / OUT, columns = width / OUT;
        if (rows == 2 && columns == 2) {
            interleaveSmall(blocks, g * stride(width), p, span, y, yOff, plus, plusOff);
            return;
        }
        for (int r = 0; r < OUT; r++) {
            for (int s = 0; s < OUT; s++) {
                int column = g * stride(width) + s, phase = (OUT * r + s) * rows * columns;
                int block = ORIGIN + (OUT * r + (column & 3)) * span + (column >> 2);
                if (plus == null) {
                    copyRows(blocks, block, p, y, yOff + phase, columns, rows, columns);
                } else {
                    addRows(blocks, block, p, plus, plusOff + phase, y, yOff + phase, columns, rows, columns);
                }
            }
        }
    }

    /** {@link #interleave} of an 8×8 image, each 2×2 phase written out as in {@link #splitSmall}. */
    private static void interleaveSmall(float[] blocks, int firstColumn, int p, int span, float[] y, int yOff,
                                        float[] plus, int plusOff) {
        for (int s = 0; s < OUT; s++) {
            int column = firstColumn + s, at = ORIGIN + (column & 3) * span + (column >> 2);
            for (int r = 0; r < OUT; r++) {
                int from = at + OUT * r * span, to = 4 * (OUT * r + s);
                if (plus == null) {
                    y[yOff + to] = blocks[from];
                    y[yOff + to + 1] = blocks[from + 1];
                    y[yOff + to + 2] = blocks[from + p];
                    y[yOff + to + 3] = blocks[from + p + 1];
                } else {
                    y[yOff + to] = blocks[from] + plus[plusOff + to];
                    y[yOff + to + 1] = blocks[from + 1] + plus[plusOff + to + 1];
                    y[yOff + to + 2] = blocks[from + p] + plus[plusOff + to + 2];
                    y[yOff + to + 3] = blocks[from + p + 1] + plus[plusOff + to + 3];
                }
            }
        }
    }

    /**
     * dst[to + i·dstStep + j] = src[from + i·srcStep + j] for i < rows, j < n: a phase's rows,
     * 8, 4 or 2 values long (images of 32, 16 and 8 pixels), so those move as one whole, half
     * or quarter vector each: System.arraycopy's call, or a loop over the values, cost more than
     * the copy itself. Rows of 2 are narrower than a quarter of a 512-bit vector and move as
     * two values (8×8 images take {@link #splitSmall} and {@link #interleaveSmall}).
     *
     * <p>The width is tested once per phase and each width has a loop of its own. With the test
     * per row, in a method called per row, about one JVM in four ran some 16×16 and 32×32
     * passes 1.6–1.9× slower for its whole life (the "narrow-vector lottery", docs/exp2.md);
     * like this, none of 60 forks did.
     */
    private static void copyRows(float[] src, int from, int srcStep, float[] dst, int to, int dstStep, int rows,
                                 int n) {
        if (n == VL) {
            for (int i = 0; i < rows; i++, from += srcStep, to += dstStep) {
                load(src, from).intoArray(dst, to);
            }
        } else if (n == HL) {
            for (int i = 0; i < rows; i++, from += srcStep, to += dstStep) {
                FloatVector.fromArray(HALF, src, from).intoArray(dst, to);
            }
        } else if (n == QL) {
            for (int i = 0; i < rows; i++, from += srcStep, to += dstStep) {
                FloatVector.fromArray(QUARTER, src, from).intoArray(dst, to);
            }
        } else if (n == 2) {
            for (int i = 0; i < rows; i++, from += srcStep, to += dstStep) {
                dst[to] = src[from];
                dst[to + 1] = src[from + 1];
            }
        } else {
            for (int i = 0; i < rows; i++, from += srcStep, to += dstStep) {
                System.arraycopy(src, from, dst, to, n);
            }
        }
    }

    /**
     * {@link #copyRows} of max(src·scale + shift, 0); one fused multiply-add, as
     * VectorMath.scaleShiftRelu rounds it.
     */
    private static void normalizeRows(float[] src, int from, int srcStep, float[] dst, int to, int dstStep, int rows,
                                      int n, float scale, float shift) {
        if (n == VL) {
            for (int i = 0; i < rows; i++, from += srcStep, to += dstStep) {
                load(src, from).fma(scale, shift).max(0f).intoArray(dst, to);
            }
        } else if (n == HL) {
            for (int i = 0; i < rows; i++, from += srcStep, to += dstStep) {
                FloatVector.fromArray(HALF, src, from).fma(scale, shift).max(0f).intoArray(dst, to);
            }
        } else if (n == QL) {
            for (int i = 0; i < rows; i++, from += srcStep, to += dstStep) {
                FloatVector.fromArray(QUARTER, src, from).fma(scale, shift).max(0f).intoArray(dst, to);
            }
        } else {
            for (int i = 0; i < rows; i++, from += srcStep, to += dstStep) {
                for (int j = 0; j < n; j++) {
                    dst[to + j] = Math.max(Math.fma(src[from + j], scale, shift), 0f);
                }
            }
        }
    }

    /** {@link #copyRows} of src + plus, plus laid out as dst. */
    private static void addRows(float[] src, int from, int srcStep, float[] plus, int at, float[] dst, int to,
                                int dstStep, int rows, int n) {
        if (n == VL) {
            for (int i = 0; i < rows; i++, from += srcStep, at += dstStep, to += dstStep) {
                load(src, from).add(load(plus, at)).intoArray(dst, to);
            }
        } else if (n == HL) {
            for (int i = 0; i < rows; i++, from += srcStep, at += dstStep, to += dstStep) {
                FloatVector.fromArray(HALF, src, from).add(FloatVector.fromArray(HALF, plus, at)).intoArray(dst, to);
            }
        } else if (n == QL) {
            for (int i = 0; i < rows; i++, from += srcStep, at += dstStep, to += dstStep) {
                FloatVector.fromArray(QUARTER, src, from).add(FloatVector.fromArray(QUARTER, plus, at))
                        .intoArray(dst, to);
            }
        } else {
            for (int i = 0; i < rows; i++, from += srcStep, at += dstStep, to += dstStep) {
                for (int j = 0; j < n; j++) {
                    dst[to + j] = src[from + j] + plus[at + j];
                }
            }
        }
    }

    /**
     * V = Bᵀ·d·B for every tile of one channel, point (a, b) to v + (6a + b)·pointStride.
     * First Bᵀ down each of the patch's 6 columns into pass (row a, column b at (6a + b)·span),
     * then along each of its rows.
     */
    static void transformInput(float[] planes, int height, int width, float[] pass, float[] v, int vOff,
                                       int pointStride) {
        int p = pitch(height, width), ps = planeSize(height, width), span = span(height, width);
        for (int b = 0; b < PATCH; b++) {
            // Patch row a of column b: plane (a mod 4, b mod 4), shifted by (a/4)·P + b/4.
            int column = ORIGIN + (b & 3) * ps + (b >> 2);
            timesBt(planes, column, column + OUT * ps, column + 2 * OUT * ps, column + 3 * OUT * ps, column + p,
                    column + OUT * ps + p, span, pass, ORIGIN + b * span, PATCH * span);
        }
        for (int a = 0; a < PATCH; a++) {
            int row = ORIGIN + PATCH * a * span;
            timesBt(pass, row, row + span, row + 2 * span, row + 3 * span, row + 4 * span, row + 5 * span, span,
                    v, vOff + PATCH * a * pointStride, pointStride);
        }
    }

    /**
     * Bᵀ·(d0 … d5) for span lanes of six rows, result k to out + k·stride. 2·Bᵀ's rows:
     * (2,−3,−4,3,2,0) (0,−2,1,5,2,0) (0,2,−5,1,2,0) (0,−4,−2,4,2,0) (0,1,−2,−1,2,0) (0,2,−3,−4,3,2).
     */
    private static void timesBt(float[] d, int d0, int d1, int d2, int d3, int d4, int d5, int span,
                                float[] out, int at, int stride) {
        FloatVector half = FloatVector.broadcast(S, 0.5f), minusHalf = FloatVector.broadcast(S, -0.5f);
        FloatVector threeHalves = FloatVector.broadcast(S, 1.5f), minusThreeHalves = FloatVector.broadcast(S, -1.5f);
        FloatVector two = FloatVector.broadcast(S, 2f), minusTwo = FloatVector.broadcast(S, -2f);
        FloatVector fiveHalves = FloatVector.broadcast(S, 2.5f), minusFiveHalves = FloatVector.broadcast(S, -2.5f);
        for (int f = 0; f < span; f += VL) {
            FloatVector x0 = load(d, d0 + f), x1 = load(d, d1 + f), x2 = load(d, d2 + f);
            FloatVector x3 = load(d, d3 + f), x4 = load(d, d4 + f), x5 = load(d, d5 + f);
            FloatVector d31 = x3.sub(x1), d42 = x4.sub(x2);
            int o = at + f;
            d31.fma(threeHalves, x2.fma(minusTwo, x0.add(x4))).intoArray(out, o);
            x3.fma(fiveHalves, x2.fma(half, x4.sub(x1))).intoArray(out, o + stride);
            x3.fma(half, x2.fma(minusFiveHalves, x4.add(x1))).intoArray(out, o + 2 * stride);
            d31.fma(two, d42).intoArray(out, o + 3 * stride);
            d31.fma(minusHalf, d42).intoArray(out, o + 4 * stride);
            x4.fma(threeHalves, x3.fma(minusTwo, x2.fma(minusThreeHalves, x1.add(x5)))).intoArray(out, o + 5 * stride);
        }
    }

    /**
     * Y = Aᵀ·m·A for every tile of one output channel, into the 16 output phase blocks (span
     * apart): Aᵀ down each of the 6 columns of m into pass, then along each of the 4 rows.
     */
    private static void transformOutput(float[] m, int mOff, int pointStride, int span, float[] pass, float[] blocks) {
        int ps = pointStride;
        for (int b = 0; b < PATCH; b++) {
            int column = mOff + b * ps;
            timesAt(m, column, column + PATCH * ps, column + 2 * PATCH * ps, column + 3 * PATCH * ps,
                    column + 4 * PATCH * ps, column + 5 * PATCH * ps, span, pass, ORIGIN + b * span, PATCH * span);
        }
        for (int r = 0; r < OUT; r++) {
            int row = ORIGIN + PATCH * r * span;
            timesAt(pass, row, row + span, row + 2 * span, row + 3 * span, row + 4 * span, row + 5 * span, span,
                    blocks, ORIGIN + OUT * r * span, span);
        }
    }

    /** Aᵀ·(m0 … m5) for span lanes of six rows, result k to out + k·stride. Aᵀ's rows: (1,1,1,1,1,0) (0,1,−1,½,−2,0) (0,1,1,¼,4,0) (0,1,−1,⅛,−8,1). */
    private static void timesAt(float[] m, int m0, int m1, int m2, int m3, int m4, int m5, int span,
                                float[] out, int at, int stride) {
        FloatVector half = FloatVector.broadcast(S, 0.5f), quarter = FloatVector.broadcast(S, 0.25f);
        FloatVector eighth = FloatVector.broadcast(S, 0.125f), minusTwo = FloatVector.broadcast(S, -2f);
        FloatVector four = FloatVector.broadcast(S, 4f), minusEight = FloatVector.broadcast(S, -8f);
        for (int f = 0; f < span; f += VL) {
            FloatVector x1 = load(m, m1 + f), x2 = load(m, m2 + f), x3 = load(m, m3 + f), x4 = load(m, m4 + f);
            FloatVector sum12 = x1.add(x2), diff12 = x1.sub(x2);
            int o = at + f;
            load(m, m0 + f).add(sum12).add(x3).add(x4).intoArray(out, o);
            x4.fma(minusTwo, x3.fma(half, diff12)).intoArray(out, o + stride);
            x4.fma(four, x3.fma(quarter, sum12)).intoArray(out, o + 2 * stride);
            x4.fma(minusEight, x3.fma(eighth, diff12.add(load(m, m5 + f)))).intoArray(out, o + 3 * stride);
        }
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }

    /**
     * products[ξ][o][f] = Σ_c U[ξ][o][c] · V[ξ][c][f] for f < span, per point a small matrix
     * product; rows span apart. Column blocks outermost, so each block of V stays in L1 while
     * every tile of output channels reads it: 4 channels at a time where {@link #WIDE_TILES},
     * pairs for the rest ({@link #pairTiles}), single channels for an odd last one.
     */
    private static void multiply(int inC, int outC, int span, float[] u, float[] v, float[] m) {
        int vectors = span / VL, pairs = outC / TILE * TILE;
        int quads = WIDE_TILES ? outC / (2 * TILE) * (2 * TILE) : 0;
        // Vectors the 4-channel tiles cover: blocks of 5, and a last one of 4 (9 vectors: 5 + 4).
        int wide = quads == 0 ? 0 : vectors / 5 * 5 + (vectors % 5 == 4 ? 4 : 0);
        for (int xi = 0; xi < POINTS; xi++) {
            int uBase = xi * outC * inC, vBase = ORIGIN + xi * inC * span, mBase = ORIGIN + xi * outC * span;
            int k = 0;
            for (; k + 5 <= wide; k += 5) {
                for (int o = 0; o < quads; o += 2 * TILE) {
                    tile4x5(inC, span, u, uBase + o * inC, v, vBase + k * VL, m, mBase + o * span + k * VL);
                }
            }
            if (k < wide) {
                for (int o = 0; o < quads; o += 2 * TILE) {
                    tile4x4(inC, span, u, uBase + o * inC, v, vBase + k * VL, m, mBase + o * span + k * VL);
                }
            }
            pairTiles(inC, span, u, uBase, v, vBase, m, mBase, 0, quads, wide, vectors);
            pairTiles(inC, span, u, uBase, v, vBase, m, mBase, quads, pairs, 0, vectors);
            for (int o = pairs; o < outC; o++) {
                for (k = 0; k < vectors; k++) {
                    tile1x1(inC, span, u, uBase + o * inC, v, vBase + k * VL, m, mBase + o * span + k * VL);
                }
            }
        }
    }

    /**
     * The products of output channels [from, to) (whole pairs) at vectors [k, vectors) of one
     * point, in 2-channel tiles. A row's last 4 or 5 vectors are one more 2×6 block that overlaps
     * the one before it (products are written, not added, so the overlap only repeats work):
     * cheaper than the 2×3 and 2×1 tiles, which reuse each weight less.
     */
    private static void pairTiles(int inC, int span, float[] u, int uBase, float[] v, int vBase, float[] m, int mBase,
                                  int from, int to, int k, int vectors) {
        int start = k;
        for (; k + 6 <= vectors; k += 6) {
            for (int o = from; o < to; o += TILE) {
                tile2x6(inC, span, u, uBase + o * inC, v, vBase + k * VL, m, mBase + o * span + k * VL);
            }
        }
        if (vectors - start >= 6 && vectors - k >= 4) {
            k = vectors - 6;
            for (int o = from; o < to; o += TILE) {
                tile2x6(inC, span, u, uBase + o * inC, v, vBase + k * VL, m, mBase + o * span + k * VL);
            }
            k = vectors;
        }
        for (; k + 3 <= vectors; k += 3) {
            for (int o = from; o < to; o += TILE) {
                tile2x3(inC, span, u, uBase + o * inC, v, vBase + k * VL, m, mBase + o * span + k * VL);
            }
        }
        for (; k < vectors; k++) {
            for (int o = from; o < to; o += TILE) {
                tile2x1(inC, span, u, uBase + o * inC, v, vBase + k * VL, m, mBase + o * span + k * VL);
            }
        }
    }

    /**
     * Four output channels (two pairs of the packing) × 5 vectors: 20 accumulators, 5 loads and 4
     * broadcasts per 20 FMAs. Needs AVX-512's 32 vector registers ({@link #WIDE_TILES}). Each
     * product is the same chain of FMAs over c as in the 2-channel tiles, so the bits do not change.
     */
    private static void tile4x5(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0;
        FloatVector d0 = a0, d1 = a0, d2 = a0, d3 = a0, d4 = a0;
        int uj = ui + TILE * inC;
        for (int c = 0; c < inC; c++, ui += TILE, uj += TILE, vi += rowPitch) {
            FloatVector w0 = FloatVector.broadcast(S, u[ui]), w1 = FloatVector.broadcast(S, u[ui + 1]);
            FloatVector w2 = FloatVector.broadcast(S, u[uj]), w3 = FloatVector.broadcast(S, u[uj + 1]);
            FloatVector x = load(v, vi);
            a0 = x.fma(w0, a0);
            b0 = x.fma(w1, b0);
            c0 = x.fma(w2, c0);
            d0 = x.fma(w3, d0);
            x = load(v, vi + VL);
            a1 = x.fma(w0, a1);
            b1 = x.fma(w1, b1);
            c1 = x.fma(w2, c1);
            d1 = x.fma(w3, d1);
            x = load(v, vi + 2 * VL);
            a2 = x.fma(w0, a2);
            b2 = x.fma(w1, b2);
            c2 = x.fma(w2, c2);
            d2 = x.fma(w3, d2);
            x = load(v, vi + 3 * VL);
            a3 = x.fma(w0, a3);
            b3 = x.fma(w1, b3);
            c3 = x.fma(w2, c3);
            d3 = x.fma(w3, d3);
            x = load(v, vi + 4 * VL);
            a4 = x.fma(w0, a4);
            b4 = x.fma(w1, b4);
            c4 = x.fma(w2, c4);
            d4 = x.fma(w3, d4);
        }
        store5(a0, a1, a2, a3, a4, m, mi);
        store5(b0, b1, b2, b3, b4, m, mi + rowPitch);
        store5(c0, c1, c2, c3, c4, m, mi + 2 * rowPitch);
        store5(d0, d1, d2, d3, d4, m, mi + 3 * rowPitch);
    }

    /** {@link #tile4x5} with 4 vectors: 16 accumulators. */
    private static void tile4x4(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        FloatVector d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        int uj = ui + TILE * inC;
        for (int c = 0; c < inC; c++, ui += TILE, uj += TILE, vi += rowPitch) {
            FloatVector w0 = FloatVector.broadcast(S, u[ui]), w1 = FloatVector.broadcast(S, u[ui + 1]);
            FloatVector w2 = FloatVector.broadcast(S, u[uj]), w3 = FloatVector.broadcast(S, u[uj + 1]);
            FloatVector x = load(v, vi);
            a0 = x.fma(w0, a0);
            b0 = x.fma(w1, b0);
            c0 = x.fma(w2, c0);
            d0 = x.fma(w3, d0);
            x = load(v, vi + VL);
            a1 = x.fma(w0, a1);
            b1 = x.fma(w1, b1);
            c1 = x.fma(w2, c1);
            d1 = x.fma(w3, d1);
            x = load(v, vi + 2 * VL);
            a2 = x.fma(w0, a2);
            b2 = x.fma(w1, b2);
            c2 = x.fma(w2, c2);
            d2 = x.fma(w3, d2);
            x = load(v, vi + 3 * VL);
            a3 = x.fma(w0, a3);
            b3 = x.fma(w1, b3);
            c3 = x.fma(w2, c3);
            d3 = x.fma(w3, d3);
        }
        store4(a0, a1, a2, a3, m, mi);
        store4(b0, b1, b2, b3, m, mi + rowPitch);
        store4(c0, c1, c2, c3, m, mi + 2 * rowPitch);
        store4(d0, d1, d2, d3, m, mi + 3 * rowPitch);
    }

    /** Four vectors to m, one after another from mi. */
    static void store4(FloatVector x0, FloatVector x1, FloatVector x2, FloatVector x3, float[] m, int mi) {
        x0.intoArray(m, mi);
        x1.intoArray(m, mi + VL);
        x2.intoArray(m, mi + 2 * VL);
        x3.intoArray(m, mi + 3 * VL);
    }

    private static void store5(FloatVector x0, FloatVector x1, FloatVector x2, FloatVector x3, FloatVector x4,
                               float[] m, int mi) {
        x0.intoArray(m, mi);
        x1.intoArray(m, mi + VL);
        x2.intoArray(m, mi + 2 * VL);
        x3.intoArray(m, mi + 3 * VL);
        x4.intoArray(m, mi + 4 * VL);
    }

    /**
     * 12 accumulators, 6 loads and 2 broadcasts per 12 FMAs. Broadcasts are what limits these
     * tiles: a 4×3 one (4 per 12 FMAs) ran at ~35 GFLOP/s per core where this one runs at ~58.
     */
    private static void tile2x6(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
        for (int c = 0; c < inC; c++, ui += TILE, vi += rowPitch) {
            FloatVector w0 = FloatVector.broadcast(S, u[ui]), w1 = FloatVector.broadcast(S, u[ui + 1]);
            FloatVector x = load(v, vi);
            a0 = x.fma(w0, a0);
            b0 = x.fma(w1, b0);
            x = load(v, vi + VL);
            a1 = x.fma(w0, a1);
            b1 = x.fma(w1, b1);
            x = load(v, vi + 2 * VL);
            a2 = x.fma(w0, a2);
            b2 = x.fma(w1, b2);
            x = load(v, vi + 3 * VL);
            a3 = x.fma(w0, a3);
            b3 = x.fma(w1, b3);
            x = load(v, vi + 4 * VL);
            a4 = x.fma(w0, a4);
            b4 = x.fma(w1, b4);
            x = load(v, vi + 5 * VL);
            a5 = x.fma(w0, a5);
            b5 = x.fma(w1, b5);
        }
        a0.intoArray(m, mi);
        a1.intoArray(m, mi + VL);
        a2.intoArray(m, mi + 2 * VL);
        a3.intoArray(m, mi + 3 * VL);
        a4.intoArray(m, mi + 4 * VL);
        a5.intoArray(m, mi + 5 * VL);
        mi += rowPitch;
        b0.intoArray(m, mi);
        b1.intoArray(m, mi + VL);
        b2.intoArray(m, mi + 2 * VL);
        b3.intoArray(m, mi + 3 * VL);
        b4.intoArray(m, mi + 4 * VL);
        b5.intoArray(m, mi + 5 * VL);
    }

    private static void tile2x3(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
        for (int c = 0; c < inC; c++, ui += TILE, vi += rowPitch) {
            FloatVector w0 = FloatVector.broadcast(S, u[ui]), w1 = FloatVector.broadcast(S, u[ui + 1]);
            FloatVector x = load(v, vi);
            a0 = x.fma(w0, a0);
            b0 = x.fma(w1, b0);
            x = load(v, vi + VL);
            a1 = x.fma(w0, a1);
            b1 = x.fma(w1, b1);
            x = load(v, vi + 2 * VL);
            a2 = x.fma(w0, a2);
            b2 = x.fma(w1, b2);
        }
        a0.intoArray(m, mi);
        a1.intoArray(m, mi + VL);
        a2.intoArray(m, mi + 2 * VL);
        b0.intoArray(m, mi + rowPitch);
        b1.intoArray(m, mi + rowPitch + VL);
        b2.intoArray(m, mi + rowPitch + 2 * VL);
    }

    private static void tile2x1(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a = FloatVector.zero(S), b = a;
        for (int c = 0; c < inC; c++, ui += TILE, vi += rowPitch) {
            FloatVector x = load(v, vi);
            a = x.fma(FloatVector.broadcast(S, u[ui]), a);
            b = x.fma(FloatVector.broadcast(S, u[ui + 1]), b);
        }
        a.intoArray(m, mi);
        b.intoArray(m, mi + rowPitch);
    }

    private static void tile1x1(int inC, int rowPitch, float[] u, int ui, float[] v, int vi, float[] m, int mi) {
        FloatVector a = FloatVector.zero(S);
        for (int c = 0; c < inC; c++, ui++, vi += rowPitch) {
            a = load(v, vi).fma(FloatVector.broadcast(S, u[ui]), a);
        }
        a.intoArray(m, mi);
    }
}
