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
        for (int n : LENGTHS) {
            specs.add(new OpSpec("add n=" + n, r -> uniform(r, n, n), new int[] {n}, Tolerances.ELEMENTWISE_F32,
                    (b, in, out) -> b.add(in[0], in[1], out[0])));
        }
        addConvolutions(specs);
        addNormalisationAndHead(specs);
        return specs;
    }

    /** Shapes of ResNet20 (3×3 stride 1 and 2, 1×1 stride 2) and awkward ones (odd sizes, 1×1 images). */
    static final ConvShape[] CONVOLUTIONS = {
        new ConvShape(1, 1, 1, 1, 1, 1, 1, 0),
        new ConvShape(2, 3, 5, 7, 4, 3, 1, 1),
        new ConvShape(3, 5, 7, 6, 3, 3, 2, 1),
        new ConvShape(2, 3, 9, 9, 4, 1, 2, 0),
        new ConvShape(2, 2, 3, 3, 3, 3, 1, 1),
        new ConvShape(3, 16, 16, 16, 16, 3, 1, 1),
        new ConvShape(3, 16, 16, 16, 32, 3, 2, 1),
        new ConvShape(3, 16, 16, 16, 32, 1, 2, 0),
    };

    private static void addConvolutions(List<OpSpec> specs) {
        for (ConvShape c : CONVOLUTIONS) {
            specs.add(new OpSpec("conv2d " + c, r -> uniform(r, c.inputSize(), c.weightSize()),
                    new int[] {c.outputSize()}, Tolerances.REDUCTION_F32,
                    (b, in, out) -> b.conv2d(c, in[0], in[1], out[0])));
            specs.add(new OpSpec("conv2dBackwardData " + c, r -> uniform(r, c.outputSize(), c.weightSize()),
                    new int[] {c.inputSize()}, Tolerances.REDUCTION_F32,
                    (b, in, out) -> b.conv2dBackwardData(c, in[0], in[1], out[0])));
            specs.add(new OpSpec("conv2dBackwardFilter " + c, r -> uniform(r, c.inputSize(), c.outputSize()),
                    new int[] {c.weightSize()}, Tolerances.REDUCTION_F32,
                    (b, in, out) -> b.conv2dBackwardFilter(c, in[0], in[1], out[0])));
        }
    }

    static final ChannelShape[] CHANNEL_SHAPES = {
        new ChannelShape(1, 1, 2), new ChannelShape(2, 3, 5), new ChannelShape(5, 7, 1), new ChannelShape(4, 16, 64),
    };

    private static void addNormalisationAndHead(List<OpSpec> specs) {
        for (ChannelShape s : CHANNEL_SHAPES) {
            int c = s.channels();
            specs.add(new OpSpec("batchNormTraining " + s, r -> uniform(r, s.size(), c, c),
                    new int[] {s.size(), c, c, c, c}, Tolerances.REDUCTION_F32,
                    (b, in, out) -> b.batchNormTraining(s, in[0], in[1], in[2], out[0], out[1], out[2], out[3], out[4],
                            0.1f, 1e-5f)));
            specs.add(new OpSpec("batchNormInference " + s, r -> {
                float[][] v = uniform(r, s.size(), c, c, c, c);
                for (int i = 0; i < c; i++) {
                    v[4][i] = Math.abs(v[4][i]) + 0.1f; // a variance
                }
                return v;
            }, new int[] {s.size()}, Tolerances.REDUCTION_F32,
                    (b, in, out) -> b.batchNormInference(s, in[0], in[1], in[2], out[0], in[3], in[4], 1e-5f)));
            specs.add(new OpSpec("batchNormBackward " + s, r -> {
                float[][] v = uniform(r, s.size(), s.size(), c, c, c);
                for (int i = 0; i < c; i++) {
                    v[4][i] = Math.abs(v[4][i]) + 0.5f; // 1/std
                }
                return v;
            }, new int[] {s.size(), c, c}, Tolerances.REDUCTION_F32,
                    (b, in, out) -> b.batchNormBackward(s, in[0], in[1], in[2], in[3], in[4], out[0], out[1], out[2])));
            specs.add(new OpSpec("globalAvgPool " + s, r -> uniform(r, s.size()), new int[] {s.batch() * c},
                    Tolerances.REDUCTION_F32, (b, in, out) -> b.globalAvgPool(s, in[0], out[0])));
            specs.add(new OpSpec("globalAvgPoolBackward " + s, r -> uniform(r, s.batch() * c), new int[] {s.size()},
                    Tolerances.ELEMENTWISE_F32, (b, in, out) -> b.globalAvgPoolBackward(s, in[0], out[0])));
        }
        for (int[] bc : new int[][] {{1, 1}, {1, 10}, {7, 3}, {128, 10}}) {
            int batch = bc[0], classes = bc[1];
            specs.add(new OpSpec("softmaxCrossEntropy " + batch + "x" + classes,
                    r -> new float[][] {scaled(uniform(r, batch * classes), 3)[0], indices(r, batch, classes)},
                    new int[] {batch * classes, 2}, Tolerances.REDUCTION_F32,
                    (b, in, out) -> b.softmaxCrossEntropy(batch, classes, in[0], in[1], out[0], out[1])));
        }
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
