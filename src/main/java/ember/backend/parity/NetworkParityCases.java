package ember.backend.parity;

import static ember.backend.parity.ParityCases.concat;
import static ember.backend.parity.ParityCases.read;
import static ember.backend.parity.ParityCases.readActivations;
import static ember.backend.parity.ParityCases.uniform;
import static ember.backend.parity.ParityCases.upload;
import static ember.backend.parity.ParityCases.uploadActivations;

import ember.backend.Backend;
import ember.backend.BatchNormTensors;
import ember.backend.Buffer;
import ember.backend.ChannelShape;
import ember.backend.ConvShape;
import ember.backend.NormReluConv;
import ember.backend.spec.OpSpecs;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The ops of the ResNet: residual add, convolutions (3×3 stride 1 and 2, the 1×1 stride-2
 * shortcut, odd sizes, 1×1 images), batch norm, global pooling and softmax cross-entropy.
 * Outputs that accumulate start from random values, so overwrite-vs-add mistakes show.
 */
final class NetworkParityCases {
    private NetworkParityCases() {}

    static final ConvShape[] CONVOLUTIONS = {
        new ConvShape(1, 1, 1, 1, 1, 1, 1, 0),
        new ConvShape(2, 3, 5, 7, 4, 3, 1, 1),
        new ConvShape(3, 5, 7, 6, 3, 3, 2, 1),
        new ConvShape(2, 3, 9, 9, 4, 1, 2, 0),
        new ConvShape(2, 2, 3, 3, 3, 3, 1, 1),
        new ConvShape(3, 16, 16, 16, 16, 3, 1, 1),
        new ConvShape(3, 16, 16, 16, 32, 3, 2, 1),
        // Stride 2 from images stored by phase: 1×1, to an output not stored by phase (6×6), to
        // an output of one 4×4 tile, and input rows longer than a 512-bit vector.
        new ConvShape(2, 3, 16, 16, 5, 1, 2, 0),
        new ConvShape(2, 3, 12, 12, 4, 3, 2, 1),
        new ConvShape(3, 2, 8, 8, 3, 3, 2, 1),
        new ConvShape(2, 2, 64, 64, 3, 3, 2, 1),
        new ConvShape(5, 64, 8, 8, 64, 3, 1, 1),
        // 3×3 stride 1 with odd sizes (im2col): wide, and a single row.
        new ConvShape(2, 6, 5, 21, 5, 3, 1, 1),
        new ConvShape(3, 5, 1, 19, 9, 3, 1, 1),
        // Winograd 3×3 (sizes multiples of 4): channels off its register tiles of 4 (and of 2
        // for the weight gradient), a single tile, tile counts that leave a part vector, rows
        // split and zipped by whole vectors and by a remainder (36 wide), several images per
        // group (5×64ch@8×8), an even size that is not a multiple of 4 (im2col).
        new ConvShape(2, 6, 4, 12, 5, 3, 1, 1),
        new ConvShape(1, 9, 4, 4, 6, 3, 1, 1),
        new ConvShape(2, 5, 8, 36, 7, 3, 1, 1),
        new ConvShape(2, 3, 32, 32, 4, 3, 1, 1),
        new ConvShape(2, 4, 6, 10, 3, 3, 1, 1),
        // Groups of several images whose rows of tiles end 1 short of a whole vector (5 × 3 tiles).
        new ConvShape(5, 3, 4, 8, 5, 3, 1, 1),
        // 11 images per worker at 16×16: a full group (8 images with the CPU backend's default
        // groups), then a part group whose empty image slots still hold the first group's data.
        new ConvShape(22, 2, 16, 16, 3, 3, 1, 1),
        // At 8×8 a full group (32 images at 512 bits, 16 at narrower vectors), then a part group of 2.
        new ConvShape(34, 4, 8, 8, 4, 3, 1, 1),
        // More Winograd groups (9, of 2 images at 32×32) than the CPU backend's weight-gradient
        // chunks (8): a chunk that sums two groups.
        new ConvShape(18, 2, 32, 32, 3, 3, 1, 1),
        // At 32×32 a full group of 2 images, then a part group of 1 (the weight gradient's GEMMs
        // then run over an empty image slot).
        new ConvShape(3, 3, 32, 32, 2, 3, 1, 1),
        // Stride 2 between planes stored in different pixel orders (by phase where the sides
        // are multiples of 4, else by row): 12×12 → 6×6, 7×7 → 4×4, and by phase on both sides.
        new ConvShape(2, 3, 12, 12, 4, 3, 2, 1),
        new ConvShape(2, 3, 7, 7, 4, 3, 2, 1),
        new ConvShape(2, 4, 16, 16, 5, 1, 2, 0),
        // OpenCL's direct 3×3 kernels (rows of 16-wide vectors, blocks of 16 output channels,
        // weight gradients in parts of 16 images): two vectors per row on a plane that is not
        // square, 17 images (a second part of 1), and 3 input channels (the stem).
        new ConvShape(17, 16, 8, 32, 16, 3, 1, 1),
        new ConvShape(2, 3, 8, 16, 16, 3, 1, 1),
        // Its stride-2 kernels (3×3 and the 1×1 shortcut; 8-wide output segments from one row where
        // the output height is odd, else two; backward-data in blocks of 8 input channels): two
        // segments per output row on a plane that is not square with a second weight-gradient
        // part, and three data blocks with two forward blocks; then stride 1 on 8-wide rows of
        // odd height (one-row segments; 64×64 @ 8×8 above takes two rows).
        new ConvShape(17, 8, 6, 32, 16, 3, 2, 1),
        new ConvShape(17, 8, 6, 32, 16, 1, 2, 0),
        new ConvShape(2, 24, 4, 16, 32, 3, 2, 1),
        new ConvShape(2, 24, 4, 16, 32, 1, 2, 0),
        new ConvShape(2, 16, 5, 8, 16, 3, 1, 1),
        // The CPU's direct 3×3 path for few input channels (the stem): more images than its
        // weight gradient's chunks, and phase rows (16 wide) longer than 128- and 256-bit vectors.
        new ConvShape(17, 3, 32, 32, 8, 3, 1, 1),
        new ConvShape(2, 2, 16, 64, 4, 3, 1, 1),
    };

    static final ChannelShape[] CHANNEL_SHAPES = {
        new ChannelShape(1, 1, 2), new ChannelShape(2, 3, 5), new ChannelShape(5, 7, 1), new ChannelShape(4, 16, 64),
    };

    static List<ParityCase> all(SplittableRandom random) {
        List<ParityCase> cases = new ArrayList<>();
        for (int n : new int[] {1, 257, 65537}) {
            float[] a = uniform(random, n), b = uniform(random, n);
            cases.add(new ParityCase("add", "n=" + n, Tolerances.ELEMENTWISE, be -> {
                try (Buffer ab = upload(be, a); Buffer bb = upload(be, b); Buffer y = be.allocate(n)) {
                    be.add(ab, bb, y);
                    return read(be, y);
                }
            }));
        }
        for (ConvShape c : CONVOLUTIONS) {
            addConvolution(cases, random, c);
        }
        for (ChannelShape s : CHANNEL_SHAPES) {
            addBatchNormAndPool(cases, random, s);
        }
        addBatchNormFarFromZero(cases, random, new ChannelShape(3, 4, 64));
        for (int[] bc : new int[][] {{1, 1}, {1, 10}, {7, 3}, {128, 10}}) {
            int batch = bc[0], classes = bc[1];
            float[] logits = uniform(random, batch * classes);
            for (int i = 0; i < logits.length; i++) {
                logits[i] *= 4;
            }
            float[] labels = new float[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = random.nextInt(classes);
            }
            float[] sumsBefore = uniform(random, 2);
            cases.add(new ParityCase("softmaxCrossEntropy", batch + "x" + classes + " (sums accumulate)",
                    Tolerances.REDUCTION, b -> {
                try (Buffer l = upload(b, logits); Buffer y = upload(b, labels);
                     Buffer d = b.allocate(batch * classes); Buffer stats = upload(b, sumsBefore)) {
                    b.softmaxCrossEntropy(batch, classes, l, y, d, stats);
                    return concat(read(b, d), read(b, stats));
                }
            }));
        }
        return cases;
    }

    private static void addConvolution(List<ParityCase> cases, SplittableRandom random, ConvShape c) {
        float[] x = uniform(random, c.inputSize()), w = uniform(random, c.weightSize());
        float[] dy = uniform(random, c.outputSize()), dw = uniform(random, c.weightSize());
        String shape = c.batch() + "x" + c.inChannels() + "x" + c.height() + "x" + c.width() + " -> " + c.outChannels()
                + " k" + c.kernel() + " s" + c.stride() + " p" + c.padding();
        int height = c.height(), width = c.width(), outH = c.outHeight(), outW = c.outWidth();
        cases.add(ParityCase.of(OpSpecs.conv2d(c), random.nextLong()));
        ChannelShape out = new ChannelShape(c.batch(), c.outChannels(), outH * outW);
        BatchNormInputs norm = BatchNormInputs.of(random, c.outChannels());
        cases.add(new ParityCase("conv2d", shape + " (leaving its stats), then batchNormTraining from them",
                Tolerances.CONVOLUTION, b -> {
            try (Buffer xb = uploadActivations(b, x, height, width); Buffer wb = upload(b, w);
                 Buffer y = b.allocate(c.outputSize()); Buffer stats = b.allocate(2 * c.batch() * c.outChannels());
                 Buffer z = b.allocate(c.outputSize())) {
                b.conv2d(c, xb, wb, y, stats);
                return concat(readActivations(b, y, outH, outW),
                        norm.training(b, out, y, stats, z, by -> readActivations(b, by, outH, outW)));
            }
        }));
        cases.add(ParityCase.of(OpSpecs.conv2dBackwardData(c), random.nextLong()));
        cases.add(ParityCase.of(OpSpecs.conv2dBackwardFilter(c), random.nextLong())); // dw starts random: it accumulates
        addConvolutionBackward(cases, random, c, shape, x, w, dy, dw);
        addNormReluConvolution(cases, random, c, shape, w, dy, dw);
    }

    /**
     * The planned conv(relu(BN(x))) ({@link Backend#normReluConv}): in training, with x's batch
     * statistics taken from x and from the stats of the convolution that wrote x (here a 1×1
     * identity, so x stays as drawn), then backward; and in inference. x is drawn per channel
     * symmetric around a centre with a gap of ±0.1 there, and beta is small against gamma, so
     * no value lies near the ReLU's edge: a float backend and the double reference then agree
     * on the mask (the backward would differ by O(1) at a pixel where they did not).
     */
    private static void addNormReluConvolution(List<ParityCase> cases, SplittableRandom random, ConvShape c,
                                               String shape, float[] w, float[] dy, float[] dw) {
        int height = c.height(), width = c.width(), outH = c.outHeight(), outW = c.outWidth();
        ChannelShape in = new ChannelShape(c.batch(), c.inChannels(), height * width);
        float[] x = awayFromCentres(random, in);
        BatchNormInputs norm = BatchNormInputs.offEdge(random, c.inChannels());
        float[] dgamma = uniform(random, c.inChannels()), dbeta = uniform(random, c.inChannels());
        for (boolean fromStats : new boolean[] {false, true}) {
            String what = shape + (fromStats ? " (statistics from the stats of the convolution that wrote x)" : "")
                    + ": training forward, then backward (dw, dgamma, dbeta accumulate)";
            cases.add(new ParityCase("normReluConv", what, Tolerances.CONVOLUTION, b -> {
                try (NormReluConv op = b.normReluConv(c); Buffer drawn = uploadActivations(b, x, height, width);
                     Buffer xb = b.allocate(in.size()); Buffer stats = b.allocate(2 * in.batch() * in.channels());
                     Buffer identity = upload(b, identity(in.channels())); BatchNormInputs.Tensors t = norm.upload(b);
                     Buffer wb = upload(b, w); Buffer y = b.allocate(c.outputSize());
                     Buffer dyb = uploadActivations(b, dy, outH, outW); Buffer dx = b.allocate(in.size());
                     Buffer dwb = upload(b, dw); Buffer dg = upload(b, dgamma); Buffer db = upload(b, dbeta)) {
                    BatchNormTensors tensors = t.with(dg, db);
                    b.conv2d(identityShape(in), drawn, identity, xb, fromStats ? stats : null);
                    op.forwardTraining(c.batch(), xb, fromStats ? stats : null, tensors, wb, y, null);
                    op.backward(c.batch(), xb, dyb, tensors, wb, dx, dwb);
                    // dgamma and dbeta sum batch·pixels values of the convolution's dx, each with its
                    // rounding: compared as means, on the scale of one value, as plane sums are.
                    return concat(concat(readActivations(b, y, outH, outW), t.statistics(b)),
                            concat(concat(readActivations(b, dx, height, width), read(b, dwb)),
                                    perValue(in, concat(read(b, dg), read(b, db)))));
                }
            }));
        }
        cases.add(new ParityCase("normReluConv", shape + ": inference forward", Tolerances.CONVOLUTION, b -> {
            try (NormReluConv op = b.normReluConv(c); Buffer xb = uploadActivations(b, x, height, width);
                 BatchNormInputs.Tensors t = norm.upload(b); Buffer wb = upload(b, w);
                 Buffer y = b.allocate(c.outputSize())) {
                op.forwardInference(c.batch(), xb, t.with(null, null), wb, y);
                return readActivations(b, y, outH, outW);
            }
        }));
    }

    /** Sums over a channel's batch·pixels values, divided by that count. */
    private static float[] perValue(ChannelShape s, float[] sums) {
        float[] means = new float[sums.length];
        for (int i = 0; i < sums.length; i++) {
            means[i] = sums[i] / s.perChannel();
        }
        return means;
    }

    /** The 1×1 convolution that copies every channel of s (weights {@link #identity}). */
    private static ConvShape identityShape(ChannelShape s) {
        return new ConvShape(s.batch(), s.channels(), 1, s.pixels(), s.channels(), 1, 1, 0);
    }

    private static float[] identity(int channels) {
        float[] w = new float[channels * channels];
        for (int c = 0; c < channels; c++) {
            w[c * channels + c] = 1f;
        }
        return w;
    }

    /**
     * Per channel, values centre ± (0.1 + 0.9u) in pairs: the batch mean is the centre, and no
     * value lies within 0.1 of it.
     */
    private static float[] awayFromCentres(SplittableRandom random, ChannelShape s) {
        float[] x = new float[s.size()];
        for (int c = 0; c < s.channels(); c++) {
            float centre = (float) random.nextDouble(-1, 1);
            int n = s.perChannel();
            for (int i = 0; i < n; i++) {
                float offset = (float) (0.1 + 0.9 * random.nextDouble());
                int at = (i / s.pixels() * s.channels() + c) * s.pixels() + i % s.pixels();
                x[at] = centre + (i % 2 == 0 ? offset : -offset);
            }
        }
        return x;
    }

    /**
     * Backward-data and the weight gradient in one call, as the layers run them: alone, adding a
     * shortcut's gradient, and each also taken back through the ReLU whose output x is.
     */
    private static void addConvolutionBackward(List<ParityCase> cases, SplittableRandom random, ConvShape c,
                                               String shape, float[] x, float[] w, float[] dy, float[] dw) {
        int height = c.height(), width = c.width(), outH = c.outHeight(), outW = c.outWidth();
        float[] dxPlus = uniform(random, c.inputSize());
        for (boolean plus : new boolean[] {false, true}) {
            for (boolean relu : new boolean[] {false, true}) {
                String what = shape + (plus ? " (dx + a shortcut's gradient" : " (dx") + (relu ? ", through x's ReLU" : "")
                        + "; dw accumulates)";
                cases.add(new ParityCase("conv2dBackward", what, Tolerances.CONVOLUTION, b -> {
                    try (Buffer xb = uploadActivations(b, x, height, width);
                         Buffer dyb = uploadActivations(b, dy, outH, outW); Buffer wb = upload(b, w);
                         Buffer plusb = uploadActivations(b, dxPlus, height, width);
                         Buffer dx = b.allocate(c.inputSize()); Buffer dwb = upload(b, dw)) {
                        b.conv2dBackward(c, xb, dyb, wb, plus ? plusb : null, relu, dx, dwb);
                        return concat(readActivations(b, dx, height, width), read(b, dwb));
                    }
                }));
            }
        }
    }

    /** Values around 100 with spread 1 per channel: a variance from Σx² − (Σx)²/m would lose most of its digits. */
    private static void addBatchNormFarFromZero(List<ParityCase> cases, SplittableRandom random, ChannelShape s) {
        int c = s.channels();
        float[] x = uniform(random, s.size());
        for (int i = 0; i < x.length; i++) {
            x[i] += 100;
        }
        float[] ones = new float[c], zeros = new float[c];
        java.util.Arrays.fill(ones, 1f);
        addBatchNormTraining(cases, s, s.batch() + "x" + c + "x" + s.pixels() + " around 100", x,
                new BatchNormInputs(ones, zeros, zeros, ones));
    }

    /**
     * batchNormTraining on these inputs, taking its statistics from x, and from the stats of the
     * convolution that wrote x (a 1×1 identity, so x stays as drawn).
     */
    private static void addBatchNormTraining(List<ParityCase> cases, ChannelShape s, String shape, float[] x,
                                             BatchNormInputs norm) {
        for (boolean fromStats : new boolean[] {false, true}) {
            cases.add(new ParityCase("batchNormTraining", shape + (fromStats ? ", from its convolution's stats" : ""),
                    Tolerances.NETWORK, b -> {
                try (Buffer xb = written(b, s, x, fromStats); Buffer stats = fromStats ? statsOf(b, s, x) : null;
                     Buffer y = b.allocate(s.size())) {
                    return norm.training(b, s, xb, stats, y, yb -> read(b, yb));
                }
            }));
        }
    }

    /** x on backend b: uploaded, or (written) as the output of a 1×1 identity convolution. */
    private static Buffer written(Backend b, ChannelShape s, float[] x, boolean written) {
        Buffer drawn = ParityCases.uploadActivations(b, x, 1, s.pixels());
        if (!written) {
            return drawn;
        }
        try (drawn; Buffer identity = upload(b, identity(s.channels()))) {
            Buffer y = b.allocate(s.size());
            b.conv2d(identityShape(s), drawn, identity, y);
            return y;
        }
    }

    /** The stats a 1×1 identity convolution of x leaves on backend b (what its batch norm fusions take). */
    private static Buffer statsOf(Backend b, ChannelShape s, float[] x) {
        Buffer stats = b.allocate(2 * s.batch() * s.channels());
        try (Buffer drawn = ParityCases.uploadActivations(b, x, 1, s.pixels());
             Buffer identity = upload(b, identity(s.channels())); Buffer y = b.allocate(s.size())) {
            b.conv2d(identityShape(s), drawn, identity, y, stats);
        }
        return stats;
    }

    /** (x − mean)·invStd·gamma + beta at value i of an NCHW tensor, in double. */
    private static double normalized(ChannelShape s, int i, float x, float[] gamma, float[] beta, float[] mean,
                                     float[] invStd) {
        int c = i / s.pixels() % s.channels();
        return ((double) x - mean[c]) * invStd[c] * gamma[c] + beta[c];
    }

    /**
     * x with every value whose normalised value lies within 1e-3 of 0 moved to ±1e-2 of it:
     * a float backend and the double reference then agree on which pixels a ReLU zeroes.
     */
    private static float[] offReluEdge(ChannelShape s, float[] x, float[] gamma, float[] beta, float[] mean,
                                       float[] invStd) {
        float[] moved = x.clone();
        for (int i = 0; i < x.length; i++) {
            double z = normalized(s, i, x[i], gamma, beta, mean, invStd);
            int c = i / s.pixels() % s.channels();
            if (Math.abs(z) < 1e-3 && gamma[c] != 0) {
                moved[i] = (float) (mean[c] + (Math.copySign(1e-2, z) - beta[c]) / (invStd[c] * gamma[c]));
            }
        }
        return moved;
    }

    /** relu((x − mean)·invStd·gamma + beta): the forward output batchNormReluBackward masks by. */
    private static float[] normalizedRelu(ChannelShape s, float[] x, float[] gamma, float[] beta, float[] mean,
                                          float[] invStd) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) Math.max(0, normalized(s, i, x[i], gamma, beta, mean, invStd));
        }
        return y;
    }

    private static void addBatchNormAndPool(List<ParityCase> cases, SplittableRandom random, ChannelShape s) {
        int c = s.channels();
        float[] x = uniform(random, s.size()), dy = uniform(random, s.size());
        BatchNormInputs norm = BatchNormInputs.of(random, c);
        float[] gamma = norm.gamma(), beta = norm.beta(), mean = norm.runningMean(), variance = norm.runningVar();
        float[] invStd = uniform(random, c);
        for (int i = 0; i < c; i++) {
            invStd[i] = Math.abs(invStd[i]) + 0.5f;
        }
        String shape = s.batch() + "x" + c + "x" + s.pixels();
        addBatchNormTraining(cases, s, shape, x, norm);
        cases.add(new ParityCase("batchNormInference", shape, Tolerances.NETWORK, b -> {
            try (Buffer xb = upload(b, x); Buffer g = upload(b, gamma); Buffer be = upload(b, beta);
                 Buffer y = b.allocate(s.size()); Buffer rm = upload(b, mean); Buffer rv = upload(b, variance)) {
                b.batchNormInference(s, xb, g, be, y, rm, rv, 1e-5f);
                return read(b, y);
            }
        }));
        cases.add(new ParityCase("batchNormBackward", shape + " (dgamma, dbeta accumulate)", Tolerances.NETWORK, b -> {
            try (Buffer xb = upload(b, x); Buffer dyb = upload(b, dy); Buffer g = upload(b, gamma);
                 Buffer sm = upload(b, mean); Buffer si = upload(b, invStd); Buffer dx = b.allocate(s.size());
                 Buffer dg = upload(b, beta); Buffer db = upload(b, mean)) {
                b.batchNormBackward(s, xb, dyb, g, sm, si, dx, dg, db);
                return concat(read(b, dx), concat(read(b, dg), read(b, db)));
            }
        }));
        float[] residual = uniform(random, s.size());
        for (boolean withResidual : new boolean[] {false, true}) {
            boolean fromStats = withResidual;
            String what = shape + (withResidual ? " + residual, from its convolution's stats" : "");
            cases.add(new ParityCase("batchNormReluTraining", what, Tolerances.NETWORK, b -> {
                try (Buffer xb = written(b, s, x, fromStats); Buffer stats = fromStats ? statsOf(b, s, x) : null;
                     BatchNormInputs.Tensors t = norm.upload(b);
                     Buffer r = withResidual ? upload(b, residual) : null; Buffer y = b.allocate(s.size())) {
                    b.batchNormReluTraining(s, xb, stats, t.gamma(), t.beta(), r, y, t.runningMean(), t.runningVar(),
                            t.savedMean(), t.savedInvStd(), 0.1f, 1e-5f);
                    return concat(read(b, y), t.statistics(b));
                }
            }));
        }
        float[] offEdge = offReluEdge(s, x, gamma, beta, mean, invStd);
        float[] forwardOutput = normalizedRelu(s, offEdge, gamma, beta, mean, invStd);
        cases.add(new ParityCase("batchNormReluBackward", shape + " (dgamma, dbeta accumulate)", Tolerances.NETWORK, b -> {
            try (Buffer xb = upload(b, offEdge); Buffer yb = upload(b, forwardOutput); Buffer dyb = upload(b, dy);
                 Buffer g = upload(b, gamma); Buffer be = upload(b, beta); Buffer sm = upload(b, mean);
                 Buffer si = upload(b, invStd); Buffer dx = b.allocate(s.size());
                 Buffer dg = upload(b, beta); Buffer db = upload(b, mean)) {
                b.batchNormReluBackward(s, xb, yb, dyb, g, be, sm, si, dx, dg, db);
                return concat(read(b, dx), concat(read(b, dg), read(b, db)));
            }
        }));
        cases.add(new ParityCase("globalAvgPool", shape, Tolerances.REDUCTION, b -> {
            try (Buffer xb = upload(b, x); Buffer y = b.allocate(s.batch() * c)) {
                b.globalAvgPool(s, xb, y);
                return read(b, y);
            }
        }));
        cases.add(new ParityCase("globalAvgPoolBackward", shape, Tolerances.ELEMENTWISE, b -> {
            try (Buffer d = upload(b, java.util.Arrays.copyOf(dy, s.batch() * c)); Buffer dx = b.allocate(s.size())) {
                b.globalAvgPoolBackward(s, d, dx);
                return read(b, dx);
            }
        }));
    }
}
