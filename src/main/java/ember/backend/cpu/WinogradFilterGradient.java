package ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a {@link Winograd3x3} convolution, by the same transform run
 * backwards: with V = Bᵀ·d·B of each input tile and D = A·dy·Aᵀ of its 4×4 block of output
 * gradients, dU[ξ][o][c] = Σ_tiles D[ξ][o]·V[ξ][c] and dw[o][c] = Gᵀ·dU[o][c]·G: 36 products
 * per tile and channel pair instead of 144. The images of a {@link Winograd3x3#group} are
 * transformed side by side, and the products are one GEMM per point (D·Vᵀ, reduced over the
 * group's tiles), given to the backend's {@link Gemm}: OpenBLAS packs both operands so that
 * channels, not tiles, fill its vectors, and took the weight gradient from 12.4 to 7.3 ms at
 * 64 channels of 8×8 where our own tile of dot products summed 8 vector lanes per product per
 * group over only 80 tiles (docs/exp2.md).
 */
final class WinogradFilterGradient {
    private WinogradFilterGradient() {}

    private static final VectorSpecies<Float> S = Simd.FLOATS;
    private static final int VL = S.length();
    private static final int POINTS = Winograd3x3.POINTS, ORIGIN = Winograd3x3.ORIGIN;

    /**
     * Writes this group of images' dU to sums[ξ][o][c] (from sumsOff), or adds it there when
     * add is set: per point ξ one GEMM through gemm, D[ξ] (outC × tiles) times V[ξ]ᵀ, x read
     * through inputAffine as {@link Winograd3x3#transformGroup} says. planes
     * must have been cleared by {@link Winograd3x3#clearPlanes} for this shape.
     */
    static void accumulate(int inC, int outC, int height, int width, float[] x, int xOff, float[] inputAffine,
                           float[] dy, int dyOff, int images, float[] planes, float[] pass, float[] inputs,
                           float[] gradients, float[] sums, int sumsOff, boolean add, Gemm gemm) {
        int span = Winograd3x3.span(height, width), plane = height * width;
        // transformGroup leaves the slots this group does not fill zero, for dy's planes too.
        Winograd3x3.transformGroup(inC, height, width, x, xOff, images, inputAffine, planes, pass, inputs);
        for (int o = 0; o < outC; o++) {
            for (int g = 0; g < images; g++) {
                Winograd3x3.splitIntoPlanes(dy, dyOff + (g * outC + o) * plane, g, height, width, planes);
            }
            transformGradient(planes, height, width, pass, gradients, ORIGIN + o * span, outC * span);
        }
        for (int xi = 0; xi < POINTS; xi++) {
            gemm.sgemm(false, true, outC, inC, span, 1f, gradients, ORIGIN + xi * outC * span, span, inputs,
                    ORIGIN + xi * inC * span, span, add ? 1f : 0f, sums, sumsOff + xi * outC * inC, inC);
        }
    }

    /**
     * D = A·g·Aᵀ for every 4×4 block g of one channel, read from its phase planes (outputs
     * on the zero columns between images read zero), point (a, b) to off + (6a + b)·stride: A down
     * each of g's 4 columns into pass (row a, column s at (4a + s)·span), then along each of
     * the 6 rows.
     */
    private static void transformGradient(float[] planes, int height, int width, float[] pass, float[] d, int off,
                                          int stride) {
        int span = Winograd3x3.span(height, width);
        for (int s = 0; s < 4; s++) {
            timesA(planes, Winograd3x3.phaseInPlanes(0, s, height, width), Winograd3x3.phaseInPlanes(1, s, height, width),
                    Winograd3x3.phaseInPlanes(2, s, height, width), Winograd3x3.phaseInPlanes(3, s, height, width),
                    span, pass, ORIGIN + s * span, 4 * span);
        }
        for (int a = 0; a < Winograd3x3.PATCH; a++) {
            int row = ORIGIN + 4 * a * span;
            timesA(pass, row, row + span, row + 2 * span, row + 3 * span, span, d, off + Winograd3x3.PATCH * a * stride,
                    stride);
        }
    }

    /** A·(g0 … g3) for span lanes of four rows, result k to out + k·stride. A's rows: (1,0,0,0) (1,1,1,1) (1,−1,1,−1) (1,½,¼,⅛) (1,−2,4,−8) (0,0,0,1). */
    private static void timesA(float[] g, int g0, int g1, int g2, int g3, int span, float[] out, int at, int stride) {
        FloatVector half = FloatVector.broadcast(S, 0.5f), quarter = FloatVector.broadcast(S, 0.25f);
        FloatVector eighth = FloatVector.broadcast(S, 0.125f), minusTwo = FloatVector.broadcast(S, -2f);
        FloatVector four = FloatVector.broadcast(S, 4f), minusEight = FloatVector.broadcast(S, -8f);
        for (int f = 0; f < span; f += VL) {
            FloatVector x0 = FloatVector.fromArray(S, g, g0 + f), x1 = FloatVector.fromArray(S, g, g1 + f);
            FloatVector x2 = FloatVector.fromArray(S, g, g2 + f), x3 = FloatVector.fromArray(S, g, g3 + f);
            FloatVector even = x0.add(x2), odd = x1.add(x3);
            int o = at + f;
            x0.intoArray(out, o);
            even.add(odd).intoArray(out, o + stride);
            even.sub(odd).intoArray(out, o + 2 * stride);
            x3.fma(eighth, x2.fma(quarter, x1.fma(half, x0))).intoArray(out, o + 3 * stride);
            x3.fma(minusEight, x2.fma(four, x1.fma(minusTwo, x0))).intoArray(out, o + 4 * stride);
            x3.intoArray(out, o + 5 * stride);
        }
    }

    /**
     * Adds slots 1 … count − 1 of dU (each POINTS·outC·inC, one after another) into slot 0, in
     * order, for the pairs o·inC + c in [from, to). Through {@link VectorMath#add}: as a plain
     * loop within one array C2 left it scalar, 10 % of the 64-channel weight gradient (JFR).
     */
    static void sumSlots(float[] slots, int count, int outC, int inC, int from, int to) {
        int points = outC * inC, slot = POINTS * points;
        for (int xi = 0; xi < POINTS; xi++) {
            for (int k = 1; k < count; k++) {
                int src = k * slot + xi * points + from, dst = xi * points + from;
                VectorMath.add(slots, dst, slots, src, slots, dst, to - from);
            }
        }
    }

    /** dw[o][c] += Gᵀ·dU[o][c]·G for the summed dU[ξ][o][c], for the pairs o·inC + c in [from, to). */
    static void addToWeights(float[] sums, int outC, int inC, float[] dw, int dwOff, int from, int to) {
        int points = outC * inC;
        for (int oc = from; oc < to; oc++) {
            for (int j = 0; j < 3; j++) {
                // Row j of Gᵀ·dU, column by column, then that row times G.
                float t0 = column(sums, points, oc, 0, j), t1 = column(sums, points, oc, 1, j);
                float t2 = column(sums, points, oc, 2, j), t3 = column(sums, points, oc, 3, j);
                float t4 = column(sums, points, oc, 4, j), t5 = column(sums, points, oc, 5, j);
                int at = dwOff + oc * 9 + 3 * j;
                dw[at] += timesG(0, t0, t1, t2, t3, t4, t5);
                dw[at + 1] += timesG(1, t0, t1, t2, t3, t4, t5);
                dw[at + 2] += timesG(2, t0, t1, t2, t3, t4, t5);
            }
        }
    }

    /** (Gᵀ·dU)[j][b] of one (out, in) pair. */
    private static float column(float[] sums, int points, int oc, int b, int j) {
        return timesG(j, sums[b * points + oc], sums[(6 + b) * points + oc], sums[(12 + b) * points + oc],
                sums[(18 + b) * points + oc], sums[(24 + b) * points + oc], sums[(30 + b) * points + oc]);
    }

    /** Σ_a G[a][k]·u_a, G's columns (1,⅓,−⅓,−16/15,1/15,0) (0,⅓,⅓,−8/15,−2/15,0) (0,⅓,−⅓,−4/15,4/15,1). */
    private static float timesG(int k, float u0, float u1, float u2, float u3, float u4, float u5) {
        return switch (k) {
            case 0 -> u0 + (u1 - u2) / 3f + (u4 - 16f * u3) / 15f;
            case 1 -> (u1 + u2) / 3f - (8f * u3 + 2f * u4) / 15f;
            default -> (u1 - u2) / 3f + (4f * u4 - 4f * u3) / 15f + u5;
        };
    }
}
