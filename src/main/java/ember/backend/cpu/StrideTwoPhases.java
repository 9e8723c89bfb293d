package ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Moves a plane between this backend's storage by phases mod 4 ({@link PhasePlanes}) and the
 * four phase planes mod 2 that {@link Im2col} reads at stride 2, with vector zips. Row r of
 * phase plane (py, px) mod 2 is row r/2 of the stored phases (2(r mod 2) + py, px) and
 * (…, px + 2), zipped: even columns from the first, odd from the second. A table lookup per
 * pixel had taken 40 % of the 16→32 stride-2 forward (JFR, docs/exp2.md).
 */
final class StrideTwoPhases {
    private StrideTwoPhases() {}

    private static final VectorSpecies<Float> S = Simd.FLOATS;
    private static final int VL = S.length();

    /** Lane l from lane l/2 of the first vector (l even) or of the second (l odd). */
    private static final VectorShuffle<Float> ZIP = VectorShuffle.fromOp(S, l -> (l & 1) == 0 ? l / 2 : l / 2 - VL);
    /** The even lanes, then the odd ones, into the low half. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, l -> (2 * l) & (VL - 1));
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, l -> (2 * l + 1) & (VL - 1));

    /** Whether planes of this size are stored by phase and their rows of width/4 split into whole zips. */
    static boolean applies(int height, int width) {
        int n = width / PhasePlanes.PHASES;
        return PhasePlanes.applies(height, width) && (n <= VL / 2 || n % (VL / 2) == 0);
    }

    /**
     * Writes the height × width plane stored by phase at src[srcOff] into the interiors of the
     * four mod-2 phase planes at dst[dstOff] (planeSize floats apart, rows pitch apart, the
     * interior from row and column `border` on); the borders are not touched.
     */
    static void split(float[] src, int srcOff, int height, int width, float[] dst, int dstOff, int planeSize,
                      int pitch, int border) {
        int n = width / PhasePlanes.PHASES, phase = height / PhasePlanes.PHASES * n, chunk = Math.min(VL / 2, n);
        VectorMask<Float> half = S.indexInRange(0, chunk), whole = S.indexInRange(0, 2 * chunk);
        for (int py = 0; py < 2; py++) {
            for (int px = 0; px < 2; px++) {
                int base = dstOff + (2 * py + px) * planeSize + border * pitch + border;
                for (int r = 0; r < height / 2; r++) {
                    int y = 2 * r + py, even = srcOff + ((y & 3) * PhasePlanes.PHASES + px) * phase + (y >> 2) * n;
                    int odd = even + 2 * phase, to = base + r * pitch;
                    for (int h = 0; h < n; h += chunk) {
                        FloatVector a = FloatVector.fromArray(S, src, even + h, half);
                        a.rearrange(ZIP, FloatVector.fromArray(S, src, odd + h, half)).intoArray(dst, to + 2 * h, whole);
                    }
                }
            }
        }
    }

    /** The reverse of {@link #split}: the planes' interiors into the plane stored by phase at dst[dstOff]. */
    static void merge(float[] src, int srcOff, int planeSize, int pitch, int border, int height, int width,
                      float[] dst, int dstOff) {
        int n = width / PhasePlanes.PHASES, phase = height / PhasePlanes.PHASES * n, chunk = Math.min(VL / 2, n);
        VectorMask<Float> half = S.indexInRange(0, chunk), whole = S.indexInRange(0, 2 * chunk);
        for (int ry = 0; ry < PhasePlanes.PHASES; ry++) {
            for (int rx = 0; rx < PhasePlanes.PHASES; rx++) {
                VectorShuffle<Float> lanes = rx < 2 ? EVEN : ODD;
                int from = srcOff + (2 * (ry & 1) + (rx & 1)) * planeSize + (border + (ry >> 1)) * pitch + border;
                int to = dstOff + (ry * PhasePlanes.PHASES + rx) * phase;
                for (int i = 0; i < height / PhasePlanes.PHASES; i++, to += n) {
                    int row = from + 2 * i * pitch;
                    for (int h = 0; h < n; h += chunk) {
                        FloatVector.fromArray(S, src, row + 2 * h, whole).rearrange(lanes).intoArray(dst, to + h, half);
                    }
                }
            }
        }
    }
}
