package ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector loops of {@link DirectConv3x3}: a tile of 4 output channels × 2 vectors of
 * flat output positions lives in 8 accumulators while the input channels and 9 taps stream
 * past (2 loads + 4 broadcasts per 8 FMAs). Sized for 16 AVX2 registers: 8 accumulators
 * also cover the FMA latency × 2 pipes. Only loaded when the module is present.
 */
final class DirectConv3x3Kernel {
    private DirectConv3x3Kernel() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();

    /** acc[o·accPlane + p] = Σ_c Σ_t w·padded[c·plane + p + shift(t)] for p < height·wp. */
    static void run(int inC, int outC, int height, int wp, float[] packed, float[] padded, float[] acc,
                    int accPlane) {
        int plane = (height + 2) * wp, vectors = (height * wp + VL - 1) / VL;
        int o0 = 0;
        for (; o0 + 4 <= outC; o0 += 4) {
            int wBase = o0 * inC * 9;
            int v = 0;
            for (; v + 2 <= vectors; v += 2) {
                tile4x2(inC, plane, wp, v * VL, packed, wBase, padded, acc, o0 * accPlane, accPlane);
            }
            for (; v < vectors; v++) {
                tile4x1(inC, plane, wp, v * VL, packed, wBase, padded, acc, o0 * accPlane, accPlane);
            }
        }
        for (; o0 < outC; o0++) {
            int wBase = o0 * inC * 9;
            for (int v = 0; v < vectors; v++) {
                tile1x1(inC, plane, wp, v * VL, packed, wBase, padded, acc, o0 * accPlane);
            }
        }
    }

    private static void tile4x2(int inC, int plane, int wp, int p, float[] w, int wBase, float[] x,
                                float[] acc, int accOff, int accPlane) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
        FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        int wi = wBase;
        for (int c = 0; c < inC; c++) {
            int row = c * plane + p;
            for (int ky = 0; ky < 3; ky++, row += wp) {
                for (int kx = 0; kx < 3; kx++, wi += 4) {
                    FloatVector x0 = FloatVector.fromArray(S, x, row + kx);
                    FloatVector x1 = FloatVector.fromArray(S, x, row + kx + VL);
                    FloatVector w0 = FloatVector.broadcast(S, w[wi]);
                    a00 = x0.fma(w0, a00);
                    a01 = x1.fma(w0, a01);
                    FloatVector w1 = FloatVector.broadcast(S, w[wi + 1]);
                    a10 = x0.fma(w1, a10);
                    a11 = x1.fma(w1, a11);
                    FloatVector w2 = FloatVector.broadcast(S, w[wi + 2]);
                    a20 = x0.fma(w2, a20);
                    a21 = x1.fma(w2, a21);
                    FloatVector w3 = FloatVector.broadcast(S, w[wi + 3]);
                    a30 = x0.fma(w3, a30);
                    a31 = x1.fma(w3, a31);
                }
            }
        }
        int o = accOff + p;
        a00.intoArray(acc, o);
        a01.intoArray(acc, o + VL);
        o += accPlane;
        a10.intoArray(acc, o);
        a11.intoArray(acc, o + VL);
        o += accPlane;
        a20.intoArray(acc, o);
        a21.intoArray(acc, o + VL);
        o += accPlane;
        a30.intoArray(acc, o);
        a31.intoArray(acc, o + VL);
    }

    private static void tile4x1(int inC, int plane, int wp, int p, float[] w, int wBase, float[] x,
                                float[] acc, int accOff, int accPlane) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int wi = wBase;
        for (int c = 0; c < inC; c++) {
            int row = c * plane + p;
            for (int ky = 0; ky < 3; ky++, row += wp) {
                for (int kx = 0; kx < 3; kx++, wi += 4) {
                    FloatVector x0 = FloatVector.fromArray(S, x, row + kx);
                    a0 = x0.fma(FloatVector.broadcast(S, w[wi]), a0);
                    a1 = x0.fma(FloatVector.broadcast(S, w[wi + 1]), a1);
                    a2 = x0.fma(FloatVector.broadcast(S, w[wi + 2]), a2);
                    a3 = x0.fma(FloatVector.broadcast(S, w[wi + 3]), a3);
                }
            }
        }
        int o = accOff + p;
        a0.intoArray(acc, o);
        a1.intoArray(acc, o + accPlane);
        a2.intoArray(acc, o + 2 * accPlane);
        a3.intoArray(acc, o + 3 * accPlane);
    }

    private static void tile1x1(int inC, int plane, int wp, int p, float[] w, int wBase, float[] x,
                                float[] acc, int accOff) {
        FloatVector a = FloatVector.zero(S);
        int wi = wBase;
        for (int c = 0; c < inC; c++) {
            int row = c * plane + p;
            for (int ky = 0; ky < 3; ky++, row += wp) {
                for (int kx = 0; kx < 3; kx++, wi++) {
                    a = FloatVector.fromArray(S, x, row + kx).fma(FloatVector.broadcast(S, w[wi]), a);
                }
            }
        }
        a.intoArray(acc, accOff + p);
    }
}
