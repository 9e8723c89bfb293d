package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ember.backend.Buffer;
import ember.backend.ChannelShape;
import ember.backend.ConvShape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's fused batch norm + ReLU, its statistics from plane sums a convolution took,
 * and its convolutions that apply a batch norm as they read, give bit for bit what its
 * separate ops give. The
 * backward pass recomputes the ReLU's mask from x instead of reading the forward's output, so
 * a single pixel on which the two disagree fails this (the parity cases, with their
 * tolerances and inputs kept off the mask's edge, could not see it).
 */
class FusedBatchNormTest {
    /** Winograd groups at 32, 16 and 8 pixels, a part-filled one, and im2col (stride 2). */
    private static final ConvShape[] CONVOLUTIONS_THROUGH_A_NORMALISATION = {new ConvShape(5, 3, 32, 32, 4, 3, 1, 1),
        new ConvShape(22, 3, 16, 16, 5, 3, 1, 1), new ConvShape(17, 4, 8, 8, 6, 3, 1, 1),
        new ConvShape(3, 4, 16, 16, 6, 3, 2, 1)};

    private static final ChannelShape[] SHAPES = {
        new ChannelShape(3, 4, 5), new ChannelShape(2, 3, 13), new ChannelShape(4, 16, 64), new ChannelShape(2, 8, 1024),
    };

    /**
     * Channels of consecutive floats around centres far from 0, with beta 0: their normalised
     * values straddle the ReLU's edge in steps about as fine as the rounding of the shift, so a
     * mask computed in any other way than the forward's flips some of them.
     */
    private static Inputs onTheEdge(SplittableRandom random) {
        ChannelShape s = new ChannelShape(4, 6, 256);
        Inputs in = new Inputs(s, random);
        for (int c = 0; c < s.channels(); c++) {
            float centre = 3f + 17.5f * c;
            int n = s.perChannel();
            for (int i = 0; i < n; i++) {
                int at = (i / s.pixels() * s.channels() + c) * s.pixels() + i % s.pixels();
                in.x()[at] = centre + (i - n / 2) * Math.ulp(centre);
            }
            in.gamma()[c] = 0.5f + c;
            in.beta()[c] = 0f;
        }
        return in;
    }

    @Test
    void forwardFromPlaneSumsEqualsBatchNormThenAddThenRelu() {
        SplittableRandom random = new SplittableRandom(11);
        for (ChannelShape s : SHAPES) {
            for (boolean withResidual : new boolean[] {false, true}) {
                Inputs in = new Inputs(s, random);
                try (CpuBackend cpu = CpuBackend.javaOnly(2); Model separate = new Model(cpu, in);
                     Model fused = new Model(cpu, in); Buffer residual = upload(cpu, in.residual);
                     Buffer sums = cpu.allocate(2 * s.batch() * s.channels())) {
                    cpu.batchNormTraining(s, separate.x, null, separate.gamma, separate.beta, separate.y,
                            separate.runningMean, separate.runningVar, separate.savedMean, separate.savedInvStd, 0.1f,
                            1e-5f);
                    if (withResidual) {
                        cpu.add(separate.y, residual, separate.y);
                    }
                    cpu.relu(separate.y, separate.y);
                    // The fused op takes its statistics from plane sums made beforehand, as after a convolution.
                    cpu.planeSums(s, fused.x, sums);
                    cpu.batchNormReluTraining(s, fused.x, sums, fused.gamma, fused.beta, withResidual ? residual : null,
                            fused.y, fused.runningMean, fused.runningVar, fused.savedMean, fused.savedInvStd, 0.1f,
                            1e-5f);
                    String what = s + (withResidual ? " with residual" : "");
                    for (String name : new String[] {"y", "runningMean", "runningVar", "savedMean", "savedInvStd"}) {
                        assertArrayEquals(separate.read(name), fused.read(name), name + ", " + what);
                    }
                }
            }
        }
    }

    @Test
    void backwardEqualsReluBackwardThenBatchNormBackward() {
        SplittableRandom random = new SplittableRandom(12);
        java.util.List<Inputs> inputs = new java.util.ArrayList<>();
        for (ChannelShape s : SHAPES) {
            inputs.add(new Inputs(s, random));
        }
        inputs.add(onTheEdge(random));
        for (Inputs in : inputs) {
            ChannelShape s = in.shape();
            try (CpuBackend cpu = CpuBackend.javaOnly(2); Model separate = new Model(cpu, in);
                 Model fused = new Model(cpu, in)) {
                for (Model m : new Model[] {separate, fused}) {
                    cpu.batchNormReluTraining(s, m.x, null, m.gamma, m.beta, null, m.y, m.runningMean, m.runningVar,
                            m.savedMean, m.savedInvStd, 0.1f, 1e-5f);
                }
                cpu.reluBackward(separate.y, separate.dy, separate.dy);
                cpu.batchNormBackward(s, separate.x, separate.dy, separate.gamma, separate.savedMean,
                        separate.savedInvStd, separate.dx, separate.dgamma, separate.dbeta);
                cpu.batchNormReluBackward(s, fused.x, fused.dy, fused.gamma, fused.beta, fused.savedMean,
                        fused.savedInvStd, fused.dx, fused.dgamma, fused.dbeta, (float[]) null);
                for (String name : new String[] {"dx", "dgamma", "dbeta"}) {
                    assertArrayEquals(separate.read(name), fused.read(name), name + ", " + s);
                }
            }
        }
    }

    /**
     * A convolution that takes its output's plane sums as it writes them leaves the very sums
     * planeSums takes afterwards (so a batch norm after it gives the same bits either way):
     * Winograd groups at 32, 16 and 8 pixels, a part-filled one, and im2col (stride 2, the stem).
     */
    @Test
    void convolutionLeavesThePlaneSumsOfItsOutput() {
        SplittableRandom random = new SplittableRandom(13);
        for (ConvShape c : new ConvShape[] {new ConvShape(5, 3, 32, 32, 4, 3, 1, 1),
            new ConvShape(22, 3, 16, 16, 5, 3, 1, 1), new ConvShape(17, 4, 8, 8, 6, 3, 1, 1),
            new ConvShape(3, 4, 16, 16, 6, 3, 2, 1), new ConvShape(2, 3, 32, 32, 16, 3, 1, 1),
            new ConvShape(3, 4, 16, 16, 6, 1, 2, 0)}) {
            ChannelShape out = new ChannelShape(c.batch(), c.outChannels(), c.outHeight() * c.outWidth());
            try (CpuBackend cpu = CpuBackend.javaOnly(2); Buffer x = upload(cpu, uniform(random, c.inputSize()));
                 Buffer w = upload(cpu, uniform(random, c.weightSize())); Buffer y = cpu.allocate(c.outputSize());
                 Buffer fused = cpu.allocate(2 * out.batch() * out.channels());
                 Buffer after = cpu.allocate(2 * out.batch() * out.channels())) {
                cpu.conv2d(c, x, w, y, fused);
                cpu.planeSums(out, y, after);
                assertArrayEquals(read(cpu, after), read(cpu, fused), c.toString());
            }
        }
    }

    /**
     * A convolution that applies a batch norm + ReLU as it reads its input gives the bits of
     * the same convolution of that output written out (forward, backward-data and weight
     * gradient), on Winograd groups at 32, 16 and 8 pixels, a part-filled one, and im2col.
     */
    @Test
    void convolutionThroughANormalisationEqualsConvolutionOfTheNormalisedInput() {
        SplittableRandom random = new SplittableRandom(14);
        for (ConvShape c : CONVOLUTIONS_THROUGH_A_NORMALISATION) {
            ChannelShape in = new ChannelShape(c.batch(), c.inChannels(), c.height() * c.width());
            Inputs bn = new Inputs(in, random);
            float[] w = uniform(random, c.weightSize()), dy = uniform(random, c.outputSize());
            float[] dw = uniform(random, c.weightSize());
            try (CpuBackend cpu = CpuBackend.javaOnly(2); Model written = new Model(cpu, bn);
                 Model later = new Model(cpu, bn); Buffer wb = upload(cpu, w); Buffer dyb = upload(cpu, dy);
                 Buffer scale = cpu.allocate(c.inChannels()); Buffer shift = cpu.allocate(c.inChannels());
                 Buffer y1 = cpu.allocate(c.outputSize());
                 Buffer y2 = cpu.allocate(c.outputSize()); Buffer dw1 = upload(cpu, dw); Buffer dw2 = upload(cpu, dw)) {
                cpu.batchNormReluTraining(in, written.x, null, written.gamma, written.beta, null, written.y,
                        written.runningMean, written.runningVar, written.savedMean, written.savedInvStd, 0.1f, 1e-5f);
                cpu.conv2d(c, written.y, wb, y1, null);
                cpu.conv2dBackward(c, written.y, dyb, wb, null, false, written.dx, dw1);
                cpu.batchNormTrainingScaleShift(in, later.x, null, later.gamma, later.beta, later.runningMean,
                        later.runningVar, later.savedMean, later.savedInvStd, scale, shift, 0.1f, 1e-5f);
                cpu.conv2d(c, later.x, scale, shift, wb, y2, null);
                cpu.conv2dBackward(c, later.x, scale, shift, later.savedMean, dyb, wb, later.dx, dw2, null);
                for (String name : new String[] {"runningMean", "runningVar", "savedMean", "savedInvStd", "dx"}) {
                    assertArrayEquals(written.read(name), later.read(name), name + ", " + c);
                }
                assertArrayEquals(read(cpu, y1), read(cpu, y2), "y, " + c);
                assertArrayEquals(read(cpu, dw1), read(cpu, dw2), "dw, " + c);
            }
        }
    }

    /**
     * A convolution through a batch norm + ReLU that leaves the batch norm's sums as it writes
     * its input gradient gives, with the batch norm's backward reading them, the bits of the
     * two run apart: Winograd groups at 32, 16 and 8 pixels, a part-filled one, and im2col.
     */
    @Test
    void convolutionBackwardLeavesTheSumsOfTheBatchNormsBackward() {
        SplittableRandom random = new SplittableRandom(15);
        for (ConvShape c : CONVOLUTIONS_THROUGH_A_NORMALISATION) {
            ChannelShape in = new ChannelShape(c.batch(), c.inChannels(), c.height() * c.width());
            Inputs bn = new Inputs(in, random);
            float[] w = uniform(random, c.weightSize()), dy = uniform(random, c.outputSize());
            float[] sums = new float[2 * c.batch() * c.inChannels()];
            try (CpuBackend cpu = CpuBackend.javaOnly(2); Model apart = new Model(cpu, bn);
                 Model fused = new Model(cpu, bn); Buffer wb = upload(cpu, w); Buffer dyb = upload(cpu, dy);
                 Buffer scale = cpu.allocate(c.inChannels()); Buffer shift = cpu.allocate(c.inChannels());
                 Buffer dw = cpu.allocate(c.weightSize()); Buffer dhApart = cpu.allocate(c.inputSize());
                 Buffer dhFused = cpu.allocate(c.inputSize())) {
                for (Model m : new Model[] {apart, fused}) {
                    cpu.batchNormTrainingScaleShift(in, m.x, null, m.gamma, m.beta, m.runningMean, m.runningVar,
                            m.savedMean, m.savedInvStd, scale, shift, 0.1f, 1e-5f);
                }
                cpu.conv2dBackward(c, apart.x, scale, shift, apart.savedMean, dyb, wb, dhApart, dw, null);
                cpu.batchNormReluBackward(in, apart.x, dhApart, apart.gamma, apart.beta, apart.savedMean,
                        apart.savedInvStd, apart.dx, apart.dgamma, apart.dbeta, (float[]) null);
                cpu.conv2dBackward(c, fused.x, scale, shift, fused.savedMean, dyb, wb, dhFused, dw, sums);
                cpu.batchNormReluBackward(in, fused.x, dhFused, fused.gamma, fused.beta, fused.savedMean,
                        fused.savedInvStd, fused.dx, fused.dgamma, fused.dbeta, sums);
                assertArrayEquals(read(cpu, dhApart), read(cpu, dhFused), "conv's dx, " + c);
                for (String name : new String[] {"dx", "dgamma", "dbeta"}) {
                    assertArrayEquals(apart.read(name), fused.read(name), name + ", " + c);
                }
            }
        }
    }

    private static float[] read(CpuBackend cpu, Buffer b) {
        float[] v = new float[b.length()];
        cpu.read(b, v);
        return v;
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (2 * random.nextDouble() - 1);
        }
        return v;
    }

    private static Buffer upload(CpuBackend cpu, float[] values) {
        Buffer b = cpu.allocate(values.length);
        cpu.write(b, values);
        return b;
    }

    /** One draw of everything a forward and backward pass read. */
    private record Inputs(ChannelShape shape, float[] x, float[] gamma, float[] beta, float[] residual, float[] dy,
                          float[] dgamma) {
        Inputs(ChannelShape s, SplittableRandom random) {
            this(s, uniform(random, s.size()), uniform(random, s.channels()), uniform(random, s.channels()),
                    uniform(random, s.size()), uniform(random, s.size()), uniform(random, s.channels()));
        }
    }

    /** The buffers of one batch norm layer, filled from the same inputs for each path. */
    private static final class Model implements AutoCloseable {
        final CpuBackend cpu;
        final Buffer x, gamma, beta, y, runningMean, runningVar, savedMean, savedInvStd, dy, dx, dgamma, dbeta;

        Model(CpuBackend cpu, Inputs in) {
            this.cpu = cpu;
            int c = in.shape().channels();
            x = upload(cpu, in.x());
            gamma = upload(cpu, in.gamma());
            beta = upload(cpu, in.beta());
            y = cpu.allocate(in.shape().size());
            runningMean = cpu.allocate(c);
            runningVar = cpu.allocate(c);
            cpu.fill(runningVar, 1f);
            savedMean = cpu.allocate(c);
            savedInvStd = cpu.allocate(c);
            dy = upload(cpu, in.dy());
            dx = cpu.allocate(in.shape().size());
            dgamma = upload(cpu, in.dgamma());
            dbeta = upload(cpu, in.dgamma());
        }

        float[] read(String name) {
            Buffer b = switch (name) {
                case "y" -> y;
                case "runningMean" -> runningMean;
                case "runningVar" -> runningVar;
                case "savedMean" -> savedMean;
                case "savedInvStd" -> savedInvStd;
                case "dx" -> dx;
                case "dgamma" -> dgamma;
                default -> dbeta;
            };
            float[] v = new float[b.length()];
            cpu.read(b, v);
            return v;
        }

        @Override
        public void close() {
            for (Buffer b : new Buffer[] {x, gamma, beta, y, runningMean, runningVar, savedMean, savedInvStd, dy, dx,
                dgamma, dbeta}) {
                b.close();
            }
        }
    }
}
