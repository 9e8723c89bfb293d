package ember.backend;

import ember.testing.Tolerances;
import ember.testing.Tolerances.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One backend op on concrete shapes: how to make its inputs, how big its outputs are, how
 * to run it, and how closely a float32 backend must match the double reference. Outputs
 * start with random contents (the same on every backend), so an op that should overwrite
 * but accumulates, or that writes outside its range, is caught.
 */
public record OpSpec(String name, Function<SplittableRandom, float[][]> inputs, int[] outputSizes,
                     Tolerance tolerance, Op op) {

    @FunctionalInterface
    public interface Op {
        void run(Backend backend, Buffer[] in, Buffer[] out);
    }

    @Override
    public String toString() {
        return name;
    }

    /** Sizes of 1, odd numbers, primes, and sizes past the CPU backend's threading threshold. */
    static final int[] LENGTHS = {1, 7, 31, 1000, 65_537};

    /** Every op of the backend contract, over awkward shapes. */
    public static List<OpSpec> all() {
        List<OpSpec> specs = new ArrayList<>();
        for (int n : LENGTHS) {
            specs.add(new OpSpec("fill n=" + n, r -> new float[0][], new int[] {n}, Tolerances.ELEMENTWISE_F32,
                    (b, in, out) -> b.fill(out[0], 0.375f)));
            specs.add(new OpSpec("relu n=" + n, r -> uniform(r, n), new int[] {n}, Tolerances.ELEMENTWISE_F32,
                    (b, in, out) -> b.relu(in[0], out[0])));
            specs.add(new OpSpec("reluBackward n=" + n, r -> uniform(r, n, n), new int[] {n},
                    Tolerances.ELEMENTWISE_F32, (b, in, out) -> b.reluBackward(in[0], in[1], out[0])));
            specs.add(new OpSpec("tanh n=" + n, r -> scaled(uniform(r, n), 4), new int[] {n},
                    Tolerances.ELEMENTWISE_F32, (b, in, out) -> b.tanh(in[0], out[0])));
            specs.add(new OpSpec("tanhBackward n=" + n, r -> uniform(r, n, n), new int[] {n},
                    Tolerances.ELEMENTWISE_F32, (b, in, out) -> b.tanhBackward(in[0], in[1], out[0])));
            specs.add(new OpSpec("mseLoss n=" + n, r -> uniform(r, n, n), new int[] {1}, Tolerances.REDUCTION_F32,
                    (b, in, out) -> b.mseLoss(in[0], in[1], out[0])));
            specs.add(new OpSpec("mseBackward n=" + n, r -> uniform(r, n, n), new int[] {n},
                    Tolerances.ELEMENTWISE_F32, (b, in, out) -> b.mseBackward(in[0], in[1], out[0])));
            for (float momentum : new float[] {0f, 0.9f}) {
                for (float decay : new float[] {0f, 5e-4f}) {
                    specs.add(new OpSpec("sgdStep n=" + n + " momentum=" + momentum + " decay=" + decay,
                            r -> uniform(r, n), new int[] {n, n}, Tolerances.ELEMENTWISE_F32,
                            // params (out[0]) and velocity (out[1]) are updated in place from their random start.
                            (b, in, out) -> b.sgdStep(out[0], in[0], out[1], 0.05f, momentum, decay)));
                }
            }
        }
        int[][] matrices = {{1, 1}, {3, 5}, {17, 13}, {128, 10}, {600, 127}};
        for (int[] m : matrices) {
            int rows = m[0], cols = m[1];
            specs.add(new OpSpec("addBias " + rows + "x" + cols, r -> uniform(r, cols), new int[] {rows * cols},
                    Tolerances.ELEMENTWISE_F32, (b, in, out) -> b.addBias(out[0], in[0], rows, cols)));
            specs.add(new OpSpec("sumRows " + rows + "x" + cols, r -> uniform(r, rows * cols), new int[] {cols},
                    Tolerances.REDUCTION_F32, (b, in, out) -> b.sumRows(in[0], out[0], rows, cols)));
            specs.add(new OpSpec("gatherRows " + rows + "x" + cols, r -> new float[][] {
                    uniform(r, rows * cols)[0], indices(r, 2 * rows + 1, rows)}, new int[] {(2 * rows + 1) * cols},
                    Tolerances.ELEMENTWISE_F32, (b, in, out) -> b.gatherRows(in[0], in[1], out[0], cols)));
        }
        int[][] gemms = {{1, 1, 1}, {3, 5, 7}, {17, 13, 11}, {64, 1, 129}, {1, 64, 2}, {128, 257, 300}};
        for (int[] g : gemms) {
            int m = g[0], n = g[1], k = g[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                for (float beta : new float[] {0f, 1f}) {
                    specs.add(new OpSpec("gemm " + (ta ? "T" : "N") + (tb ? "T" : "N") + " m=" + m + " n=" + n
                            + " k=" + k + " beta=" + beta, r -> uniform(r, m * k, k * n), new int[] {m * n},
                            Tolerances.REDUCTION_F32,
                            (b, in, out) -> b.gemm(ta, tb, m, n, k, 0.5f, in[0], in[1], beta, out[0])));
                }
            }
        }
        return specs;
    }

    static float[][] uniform(SplittableRandom random, int... sizes) {
        float[][] out = new float[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            out[i] = new float[sizes[i]];
            for (int j = 0; j < sizes[i]; j++) {
                out[i][j] = (float) random.nextDouble(-1, 1);
            }
        }
        return out;
    }

    private static float[][] scaled(float[][] values, float factor) {
        for (float[] v : values) {
            for (int i = 0; i < v.length; i++) {
                v[i] *= factor;
            }
        }
        return values;
    }

    private static float[] indices(SplittableRandom random, int count, int rows) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = random.nextInt(rows);
        }
        return out;
    }
}
