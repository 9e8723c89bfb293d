package ember.backend.cpu;

import ember.backend.ConvShape;
import java.util.Arrays;

/**
 * The patch matrix a convolution multiplies by its weights (im2col), built from phase planes:
 * each input plane is split by row and column mod the stride into stride² planes with zero
 * borders, laid out so that what kernel tap (ky, kx) reads for every output pixel is one
 * contiguous run of one phase plane. Each row (input channel, ky, kx) of the matrix is then
 * a single copy, where a table lookup per entry (nine per input value at 3×3) had cost more
 * than the GEMM itself. ({@link Pointwise} unfolds the 1×1 convolutions.)
 *
 * <p>The matrix's columns are the output grid flattened with the phase planes' pitch, so each
 * output row ends in pitch − outWidth junk columns whose outputs are dropped (at stride 2 and
 * 32×32, one column in 17). Junk gradients are kept zero, so they add nothing to a weight or
 * input gradient.
 */
final class Im2col implements Unfolding {
    private final int inChannels, kernel, inPlane, outPlane, columns, group;
    /** Columns from one phase-plane row to the next, and the floats of one channel's stride² planes. */
    private final int pitch, channelBlock;
    /** Per tap ky·k + kx: where its run starts in a channel's planes, for output column 0. */
    private final int[] tapStart;
    /** Floats of one phase plane, and whether any tap reads each phase (a 1×1 at stride 2 reads one of four). */
    private final int planeSize;
    private final boolean[] phaseRead;
    /** Per position in a channel's planes: the stored input index it holds, or inPlane (a zero) for a border. */
    private final int[] planeSource;
    /** Per stored input index: its position in the channel's planes. */
    private final int[] inputPosition;
    /** Per stored output index ({@link PhasePlanes}): its column. */
    private final int[] outputColumn;
    /** Stride 2 over planes stored by phase: the phase planes split and merged with {@link StrideTwoPhases}, not the tables. */
    private final boolean zipped;
    private final int height, width, border;

    Im2col(ConvShape s) {
        int st = s.stride(), k = s.kernel(), p = s.padding();
        inChannels = s.inChannels();
        kernel = k;
        inPlane = s.height() * s.width();
        outPlane = s.outHeight() * s.outWidth();
        // Tap offset t − p = st·shift + phase: tap t reads phase plane `phase` at output index + shift.
        height = s.height();
        width = s.width();
        border = -Math.floorDiv(-p, st);
        zipped = st == 2 && StrideTwoPhases.applies(height, width);
        int lastShift = Math.floorDiv(k - 1 - p, st);
        int rowsUsed = Math.max(s.outHeight() + lastShift, Math.ceilDiv(s.height(), st));
        int columnsUsed = Math.max(s.outWidth() + lastShift, Math.ceilDiv(s.width(), st));
        pitch = border + columnsUsed;
        // One spare row: the junk columns of the last output row read up to a row past it.
        int rows = border + rowsUsed + 1;
        planeSize = rows * pitch;
        channelBlock = st * st * planeSize;
        columns = s.outHeight() * pitch;
        group = Unfolding.group(s.patchSize() * columns, GROUP_FLOATS);

        tapStart = new int[k * k];
        phaseRead = new boolean[st * st];
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                int phase = Math.floorMod(ky - p, st) * st + Math.floorMod(kx - p, st);
                phaseRead[phase] = true;
                tapStart[ky * k + kx] = phase * planeSize + (Math.floorDiv(ky - p, st) + border) * pitch
                        + Math.floorDiv(kx - p, st) + border;
            }
        }
        planeSource = new int[channelBlock];
        inputPosition = new int[inPlane];
        for (int py = 0; py < st; py++) {
            for (int px = 0; px < st; px++) {
                for (int r = 0; r < rows; r++) {
                    for (int q = 0; q < pitch; q++) {
                        int at = (py * st + px) * planeSize + r * pitch + q;
                        int iy = st * (r - border) + py, ix = st * (q - border) + px;
                        boolean inside = r >= border && q >= border && iy < s.height() && ix < s.width();
                        planeSource[at] = inside ? PhasePlanes.position(iy, ix, s.height(), s.width()) : inPlane;
                        if (inside) {
                            inputPosition[planeSource[at]] = at;
                        }
                    }
                }
            }
        }
        outputColumn = new int[outPlane];
        for (int oy = 0; oy < s.outHeight(); oy++) {
            for (int ox = 0; ox < s.outWidth(); ox++) {
                outputColumn[PhasePlanes.position(oy, ox, s.outHeight(), s.outWidth())] = oy * pitch + ox;
            }
        }
    }

    /**
     * Floats of a group's patch matrix to aim for: enough columns for the GEMM to reuse its
     * packed weights over, few enough to stay in a core's L2 cache.
     */
    private static final int GROUP_FLOATS = Integer.getInteger("ember.im2colGroupFloats", 1 << 17);

    /** Output rows × pitch. */
    @Override
    public int columns() {
        return columns;
    }

    @Override
    public int group() {
        return group;
    }

    /** One image's phase planes, all channels, and after them one input plane staged with a zero. */
    @Override
    public int planesSize() {
        return inChannels * channelBlock + inPlane + 1;
    }

    @Override
    public void unfold(float[] x, int xOff, float[] inputAffine, float[] planes, float[] col, int ld, int at) {
        int taps = kernel * kernel, n = columns(), staged = inChannels * channelBlock;
        planes[staged + inPlane] = 0f; // what the borders read
        if (zipped) {
            Arrays.fill(planes, 0, staged, 0f); // the borders
        }
        for (int c = 0; c < inChannels; c++) {
            int from = xOff + c * inPlane, to = c * channelBlock;
            if (inputAffine == null) {
                System.arraycopy(x, from, planes, staged, inPlane);
            } else {
                VectorMath.scaleShiftRelu(x, from, null, 0, planes, staged, inPlane, inputAffine[2 * c],
                        inputAffine[2 * c + 1]);
            }
            if (zipped) {
                StrideTwoPhases.split(planes, staged, height, width, planes, to, planeSize, pitch, border);
            } else {
                for (int phase = 0; phase < phaseRead.length; phase++) {
                    if (phaseRead[phase]) {
                        VectorMath.gather(planes, staged, planeSource, phase * planeSize, planes,
                                to + phase * planeSize, planeSize);
                    }
                }
            }
            for (int t = 0; t < taps; t++) {
                System.arraycopy(planes, to + tapStart[t], col, (c * taps + t) * ld + at, n);
            }
        }
    }

    @Override
    public void fold(float[] col, int ld, int at, float[] planes, float[] dx, int dxOff) {
        int taps = kernel * kernel, n = columns();
        Arrays.fill(planes, 0, inChannels * channelBlock, 0f);
        for (int c = 0; c < inChannels; c++) {
            int block = c * channelBlock;
            for (int t = 0; t < taps; t++) {
                int start = block + tapStart[t];
                VectorMath.add(planes, start, col, (c * taps + t) * ld + at, planes, start, n);
            }
            if (zipped) {
                StrideTwoPhases.merge(planes, block, planeSize, pitch, border, height, width, dx, dxOff + c * inPlane);
            } else {
                VectorMath.gather(planes, block, inputPosition, 0, dx, dxOff + c * inPlane, inPlane);
            }
        }
    }

    @Override
    public void gatherOutput(float[] flat, int ld, int at, int channels, float[] y, int yOff) {
        for (int o = 0; o < channels; o++) {
            VectorMath.gather(flat, o * ld + at, outputColumn, 0, y, yOff + o * outPlane, outPlane);
        }
    }

    @Override
    public void scatterOutput(float[] dy, int dyOff, int channels, float[] flat, int ld, int at) {
        int n = columns();
        for (int o = 0; o < channels; o++) {
            int row = o * ld + at, from = dyOff + o * outPlane;
            Arrays.fill(flat, row, row + n, 0f);
            for (int j = 0; j < outPlane; j++) {
                flat[row + outputColumn[j]] = dy[from + j];
            }
        }
    }
}
