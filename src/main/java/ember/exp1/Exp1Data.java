package ember.exp1;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The fixed training samples (x uniform in [xMin, xMax], drawn once from the seed, y = f(x))
 * and the dense evaluation grid over the same range.
 */
public record Exp1Data(float[] sampleX, float[] sampleY, float[] gridX, float[] gridY) {
    public static final int GRID_POINTS = 1001;

    public static Exp1Data of(Exp1Config config, TargetFunction f) {
        SplittableRandom random = new SplittableRandom(config.seed());
        double[] xs = new double[config.samples()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = random.nextDouble(config.xMin(), config.xMax());
        }
        Arrays.sort(xs);
        float[] sampleX = new float[xs.length], sampleY = new float[xs.length];
        for (int i = 0; i < xs.length; i++) {
            sampleX[i] = (float) xs[i];
            sampleY[i] = (float) f.at(xs[i]);
        }
        float[] gridX = new float[GRID_POINTS], gridY = new float[GRID_POINTS];
        for (int i = 0; i < GRID_POINTS; i++) {
            double x = config.xMin() + (config.xMax() - config.xMin()) * i / (GRID_POINTS - 1);
            gridX[i] = (float) x;
            gridY[i] = (float) f.at(x);
        }
        return new Exp1Data(sampleX, sampleY, gridX, gridY);
    }

    /** Mean squared difference, accumulated in double. */
    public static double mse(float[] prediction, float[] target) {
        double sum = 0;
        for (int i = 0; i < target.length; i++) {
            double d = (double) prediction[i] - target[i];
            sum += d * d;
        }
        return sum / target.length;
    }
}
