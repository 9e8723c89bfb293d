package ember.testing;

import ember.backend.parity.Comparison;
import ember.backend.parity.Tolerances;
import ember.backend.reference.ReferenceBackend.RefBuffer;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences in float64 against an analytic gradient, on the reference
 * backend, where layers run unchanged in double precision.
 */
public final class GradientChecker {
    public static final double STEP = 1e-6;

    private GradientChecker() {}

    /**
     * Checks ∂objective/∂input[i] for every element of {@code input}: the analytic values are
     * in {@code analytic} (computed before the call), the objective is re-evaluated with each
     * element nudged by ±{@link #STEP}.
     */
    public static void check(String what, RefBuffer input, double[] analytic, DoubleSupplier objective) {
        double[] numeric = new double[input.length()];
        for (int i = 0; i < input.length(); i++) {
            double saved = input.get(i);
            input.set(i, saved + STEP);
            double plus = objective.getAsDouble();
            input.set(i, saved - STEP);
            double minus = objective.getAsDouble();
            input.set(i, saved);
            numeric[i] = (plus - minus) / (2 * STEP);
        }
        Comparison result = Comparison.of(numeric, analytic, Tolerances.GRADIENT_CHECK_F64);
        if (!result.ok()) {
            throw new AssertionError(what + " gradient vs finite differences: " + result.summary());
        }
    }

    /** The buffer's values as a double[]. */
    public static double[] values(RefBuffer buffer) {
        double[] out = new double[buffer.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = buffer.get(i);
        }
        return out;
    }
}
