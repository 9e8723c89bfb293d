package ember.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3×3, stride 1, pad 1 convolutions with few input channels (the stem: 3 channels of 32×32) as
 * direct sums over the 27 taps, on images stored by phase ({@link PhasePlanes}). With so few
 * input channels Winograd's transforms of the 16 output channels cost far more than its channel
 * mixing saves, and an im2col GEMM is as slow. Each output phase plane reads, for tap (dr, dc),
 * the input phase ((r + dr) mod 4, (s + dc) mod 4) shifted by whole rows and columns of that
 * phase (−1, 0 or +1), so every read is a run of one phase plane. The phase planes of an image
 * are first copied three times, as they are and shifted by one column either way (zero where
 * the shift leaves the row), each with a zero row above and below, so that every tap is a plain
 * load: masked loads in the tiles ran slower, and vectors chosen by a branch were boxed.
 *
 * <p>Forward: tiles of 4 output channels × 4 vectors of one output phase plane, 16 accumulators
 * over the 27 (channel, tap) pairs. Weight gradient: per 4 output channels, input channel and
 * tap row, 12 accumulators (4 channels × 3 column taps) that sum lane by lane over a chunk's
 * images and pixels, then {@link Simd#sumLanes} once per chunk.
 */
final class DirectConv3x3 {
    private DirectConv3x3() {}

    private static final VectorSpecies<Float> S = Simd.FLOATS;
    private static final int VL = S.length();

    /** Output channels, and vectors of a phase plane, per forward tile. */
    private static final int CHANNELS = 4, VECTORS = 4;

    /**
     * Most input channels this path is used for. The stem's 3 measured faster than Winograd
     * (docs/exp2.md); 5 to 15 were not measured. At 16, the rate the stem's tiles reach (~190
     * GFLOP/s on two cores) would take ~3.2 ms for the 604 MFLOP of a 16→16 convolution at
     * 32×32, against Winograd's 2.5 ms.
     */
    static final int MAX_INPUT_CHANNELS = 4;

    /** Whether this shape runs here: few input channels, whole tiles, images stored by phase. */
    static boolean fits(int inChannels, int outChannels, int height, int width) {
        return inChannels <= MAX_INPUT_CHANNELS && outChannels % CHANNELS == 0 && PhasePlanes.applies(height, width)
                && (height / 4) * (width / 4) % (VECTORS * VL) == 0;
    }

    /**
     * The plan of one image size: where each output phase's 9 taps read in a padded channel, and
     * which positions of a phase plane are not a row's first or last (for the shifted copies).
     */
    record Plan(int height, int width, int[] tapOffsets, boolean[] notFirst, boolean[] notLast) {
        /** Values of one phase plane. */
        int phasePlane() {
            return height / 4 * (width / 4);
        }

        /** Floats of one padded phase plane: a zero row before and after. */
        int paddedPlane() {
            return phasePlane() + 2 * (width / 4);
        }

        /** Floats of one image's padded input channel: its 16 phase planes, shifted −1, 0 and +1 columns. */
        int paddedChannel() {
            return 3 * 16 * paddedPlane();
        }

        static Plan of(int height, int width) {
            int columns = width / 4, plane = height / 4 * columns, padded = plane + 2 * columns;
            int[] offsets = new int[16 * 9];
            for (int phase = 0; phase < 16; phase++) {
                int r = phase / 4, s = phase % 4;
                for (int tap = 0; tap < 9; tap++) {
                    int dr = tap / 3 - 1, dc = tap % 3 - 1;
                    int inputPhase = ((r + dr) & 3) * 4 + ((s + dc) & 3);
                    int rowShift = (r + dr) >> 2, columnShift = (s + dc) >> 2;
                    offsets[phase * 9 + tap] = ((columnShift + 1) * 16 + inputPhase) * padded + columns
                            + rowShift * columns;
                }
            }
            boolean[] notFirst = new boolean[plane], notLast = new boolean[plane];
            for (int q = 0; q < plane; q++) {
                notFirst[q] = q % columns != 0;
                notLast[q] = q % columns != columns - 1;
            }
            return new Plan(height, width, offsets, notFirst, notLast);
        }
    }

    /**
     * Copies one image's channels (stored by phase, from x at xOff) into padded from paddedOff,
     * as {@link Plan#paddedChannel} says: each phase plane shifted by −1, 0 and +1 columns,
     * between zero rows, which are written here too. With inputAffine (else null) each channel c
     * is read as relu(x·inputAffine[2c] + inputAffine[2c + 1]), rounded as batch norm + ReLU
     * rounds it.
     */
    static void pad(Plan plan, int channels, float[] x, int xOff, float[] inputAffine, float[] padded,
                    int paddedOff) {
        int plane = plan.phasePlane(), margin = plan.width() / 4, paddedPlane = plan.paddedPlane();
        for (int c = 0; c < channels; c++) {
            int channel = paddedOff + c * plan.paddedChannel();
            for (int phase = 0; phase < 16; phase++) {
                int from = xOff + (c * 16 + phase) * plane, to = channel + (16 + phase) * paddedPlane;
                Arrays.fill(padded, to, to + margin, 0f);
                if (inputAffine == null) {
                    System.arraycopy(x, from, padded, to + margin, plane);
                } else {
                    float scale = inputAffine[2 * c], shift = inputAffine[2 * c + 1];
                    for (int q = 0; q < plane; q += VL) {
                        load(x, from + q).fma(scale, shift).max(0f).intoArray(padded, to + margin + q);
                    }
                }
                Arrays.fill(padded, to + margin + plane, to + paddedPlane, 0f);
                // The shifted copies, from the unshifted one: zero where a row's neighbour would be read.
                for (int shift = -1; shift <= 1; shift += 2) {
                    int copy = channel + ((shift + 1) * 16 + phase) * paddedPlane;
                    boolean[] keep = shift < 0 ? plan.notFirst() : plan.notLast();
                    Arrays.fill(padded, copy, copy + margin, 0f);
                    for (int q = 0; q < plane; q += VL) {
                        FloatVector.fromArray(S, padded, to + margin + q + shift, VectorMask.fromArray(S, keep, q))
                                .intoArray(padded, copy + margin + q);
                    }
                    Arrays.fill(padded, copy + margin + plane, copy + paddedPlane, 0f);
                }
            }
        }
    }

    /** One image's output (stored by phase, to y at yOff): every output channel from padded (see {@link #pad}). */
    static void forward(Plan plan, int inC, int outC, float[] padded, float[] w, int wOff, float[] y, int yOff) {
        int plane = plan.phasePlane(), outPlane = 16 * plane, channelStride = plan.paddedChannel();
        for (int phase = 0; phase < 16; phase++) {
            for (int o = 0; o < outC; o += CHANNELS) {
                for (int k = 0; k < plane; k += VECTORS * VL) {
                    tile(plan, phase, k, inC, channelStride, padded, w, wOff + o * inC * 9, inC * 9, y,
                            yOff + o * outPlane + phase * plane + k, outPlane);
                }
            }
        }
    }

    /** 4 output channels × 4 vectors from position k of one output phase plane. */
    private static void tile(Plan plan, int phase, int k, int inC, int channelStride, float[] in, float[] w, int wi,
                             int wStride, float[] y, int yi, int yStride) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        FloatVector d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        int[] offsets = plan.tapOffsets();
        for (int c = 0; c < inC; c++) {
            for (int tap = 0; tap < 9; tap++) {
                int at = c * channelStride + offsets[phase * 9 + tap] + k;
                FloatVector x0 = load(in, at), x1 = load(in, at + VL), x2 = load(in, at + 2 * VL);
                FloatVector x3 = load(in, at + 3 * VL);
                int wt = wi + c * 9 + tap;
                FloatVector w0 = FloatVector.broadcast(S, w[wt]), w1 = FloatVector.broadcast(S, w[wt + wStride]);
                FloatVector w2 = FloatVector.broadcast(S, w[wt + 2 * wStride]);
                FloatVector w3 = FloatVector.broadcast(S, w[wt + 3 * wStride]);
                a0 = x0.fma(w0, a0);
                a1 = x1.fma(w0, a1);
                a2 = x2.fma(w0, a2);
                a3 = x3.fma(w0, a3);
                b0 = x0.fma(w1, b0);
                b1 = x1.fma(w1, b1);
                b2 = x2.fma(w1, b2);
                b3 = x3.fma(w1, b3);
                c0 = x0.fma(w2, c0);
                c1 = x1.fma(w2, c1);
                c2 = x2.fma(w2, c2);
                c3 = x3.fma(w2, c3);
                d0 = x0.fma(w3, d0);
                d1 = x1.fma(w3, d1);
                d2 = x2.fma(w3, d2);
                d3 = x3.fma(w3, d3);
            }
        }
        Winograd3x3.store4(a0, a1, a2, a3, y, yi);
        Winograd3x3.store4(b0, b1, b2, b3, y, yi + yStride);
        Winograd3x3.store4(c0, c1, c2, c3, y, yi + 2 * yStride);
        Winograd3x3.store4(d0, d1, d2, d3, y, yi + 3 * yStride);
    }

    /**
     * The weight gradient of images [0, images) of a chunk, written (not added) to sums as
     * outC × inC × 9: padded holds their inputs ({@link #pad}, one image after another), dy
     * their output gradients from dyOff. lanes ({@link #laneSums}) holds the lane sums over the
     * chunk: 12 vectors per 4 output channels, input channel and tap row. Image by image, so
     * that an image's 4 gradient planes and input channel stay in L1 while all 3 tap rows read
     * them (gradient by gradient over the chunk, they came from L2 for each).
     */
    static void filterGradient(Plan plan, int inC, int outC, int images, float[] padded, float[] dy, int dyOff,
                               float[] lanes, float[] sums, int sumsOff) {
        int outPlane = 16 * plan.phasePlane(), outImage = outC * outPlane, imageStride = inC * plan.paddedChannel();
        Arrays.fill(lanes, 0, laneSums(inC, outC), 0f);
        for (int n = 0; n < images; n++) {
            for (int c = 0; c < inC; c++) {
                for (int o = 0; o < outC; o += CHANNELS) {
                    for (int row = 0; row < 3; row++) {
                        imageProducts(plan, row, padded, n * imageStride + c * plan.paddedChannel(), dy,
                                dyOff + n * outImage + o * outPlane, outPlane, lanes, laneBlock(o, c, row, inC));
                    }
                }
            }
        }
        for (int o = 0; o < outC; o += CHANNELS) {
            for (int c = 0; c < inC; c++) {
                for (int row = 0; row < 3; row++) {
                    int at = laneBlock(o, c, row, inC);
                    for (int k = 0; k < 12; k++) {
                        // Vector k: output channel o + k / 3, column tap k % 3.
                        sums[sumsOff + ((o + k / 3) * inC + c) * 9 + 3 * row + k % 3] =
                                Simd.sumLanes(load(lanes, at + k * VL));
                    }
                }
            }
        }
    }

    /** Where the 12 lane-sum vectors of output channels o … o + 3, input channel c and tap row row start. */
    private static int laneBlock(int o, int c, int row, int inC) {
        return ((o / CHANNELS * inC + c) * 3 + row) * 12 * VL;
    }

    /** Floats of {@link #filterGradient}'s lane sums. */
    static int laneSums(int inC, int outC) {
        return outC / CHANNELS * inC * 3 * 12 * VL;
    }

    /**
     * Adds to lanes from at, 12 vectors (4 output channels × the 3 column taps of tap row row),
     * the products of one image's output gradients (4 channels from dy at g, outPlane apart) with
     * its input channel (padded from in). A method per image, with the sums in memory between
     * calls: one loop nest over a chunk's images compiled at times into code that boxed every
     * vector (5× slower).
     */
    private static void imageProducts(Plan plan, int row, float[] padded, int in, float[] dy, int g, int outPlane,
                                      float[] lanes, int at) {
        int plane = plan.phasePlane();
        int[] offsets = plan.tapOffsets();
        FloatVector a0 = load(lanes, at), a1 = load(lanes, at + VL), a2 = load(lanes, at + 2 * VL);
        FloatVector b0 = load(lanes, at + 3 * VL), b1 = load(lanes, at + 4 * VL), b2 = load(lanes, at + 5 * VL);
        FloatVector c0 = load(lanes, at + 6 * VL), c1 = load(lanes, at + 7 * VL), c2 = load(lanes, at + 8 * VL);
        FloatVector d0 = load(lanes, at + 9 * VL), d1 = load(lanes, at + 10 * VL), d2 = load(lanes, at + 11 * VL);
        for (int phase = 0; phase < 16; phase++) {
            int left = in + offsets[phase * 9 + 3 * row], centre = in + offsets[phase * 9 + 3 * row + 1];
            int right = in + offsets[phase * 9 + 3 * row + 2], gi = g + phase * plane;
            for (int k = 0; k < plane; k += VL) {
                FloatVector g0 = load(dy, gi + k), g1 = load(dy, gi + k + outPlane);
                FloatVector g2 = load(dy, gi + k + 2 * outPlane), g3 = load(dy, gi + k + 3 * outPlane);
                FloatVector x0 = load(padded, left + k), x1 = load(padded, centre + k), x2 = load(padded, right + k);
                a0 = g0.fma(x0, a0);
                a1 = g0.fma(x1, a1);
                a2 = g0.fma(x2, a2);
                b0 = g1.fma(x0, b0);
                b1 = g1.fma(x1, b1);
                b2 = g1.fma(x2, b2);
                c0 = g2.fma(x0, c0);
                c1 = g2.fma(x1, c1);
                c2 = g2.fma(x2, c2);
                d0 = g3.fma(x0, d0);
                d1 = g3.fma(x1, d1);
                d2 = g3.fma(x2, d2);
            }
        }
        store3(a0, a1, a2, lanes, at);
        store3(b0, b1, b2, lanes, at + 3 * VL);
        store3(c0, c1, c2, lanes, at + 6 * VL);
        store3(d0, d1, d2, lanes, at + 9 * VL);
    }

    private static void store3(FloatVector x0, FloatVector x1, FloatVector x2, float[] lanes, int at) {
        x0.intoArray(lanes, at);
        x1.intoArray(lanes, at + VL);
        x2.intoArray(lanes, at + 2 * VL);
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }
}
