package ember.backend.parity;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.spec.OpSpec;
import ember.backend.spec.OpSpecs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Every backend op on awkward shapes: 1, odd sizes, primes, sizes just around the 256-thread
 * block and the 32-column tile, plus a view at an offset; then the ops the kernel benchmarks
 * time ({@link OpSpecs}), at a small batch. Shared by the JUnit parity tests and `ember
 * selftest`, so the GPU check runs exactly what CI would.
 */
public final class ParityCases {
    private ParityCases() {}

    static final int[] LENGTHS = {1, 7, 255, 256, 257, 1000, 65537};
    static final int[][] MATRICES = {{1, 1}, {1, 33}, {7, 1}, {13, 31}, {32, 32}, {257, 64}, {1000, 3}};
    static final int[][] GEMMS = {{1, 1, 1}, {1, 7, 1}, {3, 5, 7}, {17, 31, 13}, {64, 64, 64}, {129, 67, 257}};

    /** All cases, with inputs drawn from {@code seed}. */
    public static List<ParityCase> all(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<ParityCase> cases = new ArrayList<>();
        for (int n : new int[] {1, 257, 65537}) {
            cases.add(new ParityCase("fill", "n=" + n, Tolerances.EXACT, b -> {
                try (Buffer x = b.allocate(n)) {
                    b.fill(x, -0.375f);
                    return read(b, x);
                }
            }));
        }
        for (int[] g : GEMMS) {
            for (int t = 0; t < 4; t++) {
                for (float beta : new float[] {0f, 1f}) {
                    cases.add(ParityCase.of(OpSpecs.gemm((t & 1) != 0, (t & 2) != 0, g[0], g[1], g[2],
                            beta == 0 ? 1f : 0.5f, beta), random.nextLong()));
                }
            }
        }
        for (int[] rc : MATRICES) {
            int rows = rc[0], cols = rc[1];
            float[] y = uniform(random, rows * cols), bias = uniform(random, cols), grad = uniform(random, cols);
            String shape = rows + "x" + cols;
            cases.add(new ParityCase("addBias", shape, Tolerances.ELEMENTWISE, b -> {
                try (Buffer yb = upload(b, y); Buffer bb = upload(b, bias)) {
                    b.addBias(yb, bb, rows, cols);
                    return read(b, yb);
                }
            }));
            cases.add(new ParityCase("sumRows", shape + " (accumulates)", Tolerances.REDUCTION, b -> {
                try (Buffer dy = upload(b, y); Buffer g = upload(b, grad)) {
                    b.sumRows(dy, g, rows, cols);
                    return read(b, g);
                }
            }));
        }
        for (int n : LENGTHS) {
            float[] x = uniform(random, n), dy = uniform(random, n), t = uniform(random, n);
            x[0] = 0f; // the kink: relu'(0) is 0 in every backend
            float[] y = new float[n];
            for (int i = 0; i < n; i++) {
                y[i] = (float) Math.tanh(x[i]);
            }
            String shape = "n=" + n;
            cases.add(new ParityCase("relu", shape, Tolerances.EXACT, b -> unary(b, x, Backend::relu)));
            cases.add(new ParityCase("reluBackward", shape, Tolerances.EXACT, b -> binary(b, x, dy, Backend::reluBackward)));
            cases.add(new ParityCase("tanh", shape, Tolerances.TRANSCENDENTAL, b -> unary(b, x, Backend::tanh)));
            cases.add(new ParityCase("tanhBackward", shape, Tolerances.ELEMENTWISE, b -> binary(b, y, dy, Backend::tanhBackward)));
            cases.add(new ParityCase("mseBackward", shape, Tolerances.ELEMENTWISE, b -> binary(b, x, t, Backend::mseBackward)));
            cases.add(new ParityCase("mseLoss", shape, Tolerances.REDUCTION, b -> {
                try (Buffer p = upload(b, x); Buffer tb = upload(b, t); Buffer loss = b.allocate(3)) {
                    b.mseLoss(p, tb, loss.slice(1, 1));
                    return read(b, loss); // slots 0 and 2 must stay 0
                }
            }));
        }
        int viewLength = 1000;
        float[] padded = uniform(random, viewLength + 10);
        cases.add(new ParityCase("relu", "in place on a view at offset 3 of " + padded.length, Tolerances.EXACT, b -> {
            try (Buffer whole = upload(b, padded)) {
                Buffer view = whole.slice(3, viewLength);
                b.relu(view, view);
                return read(b, whole);
            }
        }));
        for (int n : new int[] {1, 7, 257, 65537}) {
            float[] p = uniform(random, n), g = uniform(random, n), v = uniform(random, n);
            float[][] settings = {{0f, 0f}, {0.9f, 0f}, {0.9f, 5e-4f}, {0f, 1e-2f}};
            for (float[] s : settings) {
                float momentum = s[0], decay = s[1];
                cases.add(new ParityCase("sgdStep", "n=" + n + " momentum=" + momentum + " decay=" + decay,
                        Tolerances.ELEMENTWISE, b -> {
                    try (Buffer pb = upload(b, p); Buffer gb = upload(b, g); Buffer vb = upload(b, v);
                         Buffer lr = upload(b, new float[] {0.05f})) {
                        b.sgdStep(pb, gb, momentum != 0 ? vb : null, lr, momentum, decay);
                        return concat(read(b, pb), read(b, vb)); // with momentum 0, v must be untouched
                    }
                }));
            }
        }
        for (int[] shape : new int[][] {{1, 1, 1}, {7, 3, 5}, {1000, 1, 257}, {101, 33, 64}}) {
            int rows = shape[0], width = shape[1], count = shape[2];
            float[] table = uniform(random, rows * width);
            float[] indices = new float[count];
            for (int i = 0; i < count; i++) {
                indices[i] = i == count - 1 ? rows - 1 : random.nextInt(rows); // always hit the last row
            }
            cases.add(new ParityCase("gatherRows", rows + "x" + width + " table, " + count + " indices",
                    Tolerances.EXACT, b -> {
                try (Buffer tb = upload(b, table); Buffer ib = upload(b, indices); Buffer out = b.allocate(count * width)) {
                    b.gatherRows(tb, ib, out, width);
                    return read(b, out);
                }
            }));
        }
        cases.addAll(NetworkParityCases.all(random));
        for (int n : new int[] {1, 257, 65537}) {
            cases.add(ParityCase.of(OpSpecs.copy(n), random.nextLong()));
        }
        // The benchmarks' own ops, at a batch of 2: what they time computes the right thing.
        List<OpSpec> benchmarked = new ArrayList<>(OpSpecs.resnet20(2));
        benchmarked.addAll(OpSpecs.trainingGemms());
        for (OpSpec spec : benchmarked) {
            cases.add(ParityCase.of(spec, random.nextLong()));
        }
        return List.copyOf(cases);
    }

    private interface Unary {
        void apply(Backend b, Buffer x, Buffer y);
    }

    private interface Binary {
        void apply(Backend b, Buffer x, Buffer y, Buffer out);
    }

    private static float[] unary(Backend b, float[] x, Unary op) {
        try (Buffer xb = upload(b, x); Buffer yb = b.allocate(x.length)) {
            op.apply(b, xb, yb);
            return read(b, yb);
        }
    }

    private static float[] binary(Backend b, float[] x, float[] y, Binary op) {
        try (Buffer xb = upload(b, x); Buffer yb = upload(b, y); Buffer out = b.allocate(x.length)) {
            op.apply(b, xb, yb, out);
            return read(b, out);
        }
    }

    static float[] uniform(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    static Buffer upload(Backend b, float[] values) {
        Buffer buffer = b.allocate(values.length);
        b.write(buffer, values);
        return buffer;
    }

    /** Activations (NCHW planes of height × width) into a new buffer, in the backend's pixel order. */
    static Buffer uploadActivations(Backend b, float[] values, int height, int width) {
        Buffer buffer = b.allocate(values.length);
        b.writeActivations(buffer, values, height, width);
        return buffer;
    }

    static float[] readActivations(Backend b, Buffer buffer, int height, int width) {
        float[] values = new float[buffer.length()];
        b.readActivations(buffer, values, height, width);
        return values;
    }

    static float[] read(Backend b, Buffer buffer) {
        float[] values = new float[buffer.length()];
        b.read(buffer, values);
        return values;
    }

    static float[] concat(float[] a, float[] b) {
        float[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
