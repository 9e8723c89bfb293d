package ember.exp1;

import ember.nn.Activation;
import ember.nn.Mlp;
import java.util.Arrays;

/**
 * Everything that defines an exp1 run. As in the lab, one epoch is one SGD step on one
 * batch drawn at random from a fixed set of samples.
 */
public record Exp1Config(String function, int epochs, float lr, float momentum, int batch, int samples,
                         double xMin, double xMax, int[] hidden, Activation activation, long seed) {

    public static final int DEFAULT_EPOCHS = 10_000;
    public static final float DEFAULT_LR = 0.01f;
    public static final float DEFAULT_MOMENTUM = 0.9f;
    public static final int DEFAULT_BATCH = 64;
    public static final int DEFAULT_SAMPLES = 1000;

    public Exp1Config {
        hidden = hidden.clone();
        require(epochs >= 1, "--epochs must be at least 1, got " + epochs);
        require(lr > 0 && Float.isFinite(lr), "--lr must be a positive number, got " + lr);
        require(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + momentum);
        require(batch >= 1, "--batch must be at least 1, got " + batch);
        require(samples >= 2, "--samples must be at least 2, got " + samples);
        require(xMin < xMax, "--x-min must be below --x-max, got " + xMin + " and " + xMax);
        require(hidden.length >= 1, "--hidden needs at least one width");
        for (int h : hidden) {
            require(h >= 1, "--hidden widths must be positive, got " + Arrays.toString(hidden));
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }

    public Mlp.Shape shape() {
        int[] widths = new int[hidden.length + 2];
        widths[0] = 1;
        System.arraycopy(hidden, 0, widths, 1, hidden.length);
        widths[widths.length - 1] = 1;
        return new Mlp.Shape(widths, activation);
    }

    public Exp1Config withEpochs(int newEpochs) {
        return new Exp1Config(function, newEpochs, lr, momentum, batch, samples, xMin, xMax, hidden, activation, seed);
    }

    public Exp1Config withLr(float newLr) {
        return new Exp1Config(function, epochs, newLr, momentum, batch, samples, xMin, xMax, hidden, activation, seed);
    }
}
