package ember.backend.parity;

import static ember.backend.parity.ParityCases.concat;
import static ember.backend.parity.ParityCases.read;
import static ember.backend.parity.ParityCases.uniform;

import ember.backend.Backend;
import ember.backend.BatchNormTensors;
import ember.backend.Buffer;
import ember.backend.ChannelShape;
import java.util.SplittableRandom;
import java.util.function.Function;

/** A batch norm's parameters and running statistics, drawn once for a parity case and uploaded per backend. */
record BatchNormInputs(float[] gamma, float[] beta, float[] runningMean, float[] runningVar) {
    static final float MOMENTUM = 0.1f, EPS = 1e-5f;

    /** Uniform gamma, beta and running mean in [-1, 1], running variance in [0.1, 1.1]. */
    static BatchNormInputs of(SplittableRandom random, int channels) {
        float[] variance = uniform(random, channels);
        for (int c = 0; c < channels; c++) {
            variance[c] = Math.abs(variance[c]) + 0.1f;
        }
        return new BatchNormInputs(uniform(random, channels), uniform(random, channels), uniform(random, channels),
                variance);
    }

    /**
     * |gamma| in [0.5, 1] and |beta| below 0.03·|gamma|: with x at least 0.1 away from its
     * channel's mean, the ReLU's edge (where x − mean = −beta·std/gamma) is far from every x.
     * (|gamma|·invStd, at most ~1.7 for such x, scales the convolution's rounding into dx.)
     */
    static BatchNormInputs offEdge(SplittableRandom random, int channels) {
        BatchNormInputs drawn = of(random, channels);
        for (int c = 0; c < channels; c++) {
            float g = drawn.gamma[c];
            drawn.gamma[c] = Math.copySign(0.5f + 0.5f * Math.abs(g), g);
            drawn.beta[c] = drawn.gamma[c] * 0.03f * drawn.beta[c];
        }
        return drawn;
    }

    Tensors upload(Backend b) {
        int channels = gamma.length;
        return new Tensors(ParityCases.upload(b, gamma), ParityCases.upload(b, beta),
                ParityCases.upload(b, runningMean), ParityCases.upload(b, runningVar), b.allocate(channels),
                b.allocate(channels));
    }

    /**
     * batchNormTraining of x (with the stats its convolution left, or null) into y; returns y
     * (as readY reads it), then the running and saved statistics.
     */
    float[] training(Backend b, ChannelShape s, Buffer x, Buffer stats, Buffer y, Function<Buffer, float[]> readY) {
        try (Tensors t = upload(b)) {
            b.batchNormTraining(s, x, stats, t.gamma, t.beta, y, t.runningMean, t.runningVar, t.savedMean,
                    t.savedInvStd, MOMENTUM, EPS);
            return concat(readY.apply(y), t.statistics(b));
        }
    }

    /** The uploaded tensors of one backend. */
    record Tensors(Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar,
                   Buffer savedMean, Buffer savedInvStd) implements AutoCloseable {

        /** As an op takes them, with these gradients (null where the op writes none). */
        BatchNormTensors with(Buffer gammaGrad, Buffer betaGrad) {
            return new BatchNormTensors(gamma, beta, gammaGrad, betaGrad, runningMean, runningVar, savedMean,
                    savedInvStd, MOMENTUM, EPS);
        }

        /** Running mean and variance, then saved mean and 1/std, as read back. */
        float[] statistics(Backend b) {
            return concat(concat(read(b, runningMean), read(b, runningVar)),
                    concat(read(b, savedMean), read(b, savedInvStd)));
        }

        @Override
        public void close() {
            for (Buffer buffer : new Buffer[] {gamma, beta, runningMean, runningVar, savedMean, savedInvStd}) {
                buffer.close();
            }
        }
    }
}
