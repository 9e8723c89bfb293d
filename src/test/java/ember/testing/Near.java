package ember.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Element-wise comparison with a tolerance, reporting the first mismatches with their
 * indices. NaN matches only NaN and ±Inf only the same infinity; a NaN where a finite value
 * is expected is always a mismatch.
 */
public final class Near {
    private static final int SHOWN = 5;

    private Near() {}

    public static boolean close(double actual, double expected, Tolerances.Tolerance tol) {
        if (Double.isNaN(expected) || Double.isInfinite(expected)) {
            return Double.compare(actual, expected) == 0;
        }
        return Math.abs(actual - expected) <= tol.atol() + tol.rtol() * Math.abs(expected);
    }

    /** Throws AssertionError listing the first mismatches when any element is not close. */
    public static void assertClose(String what, double[] actual, double[] expected, Tolerances.Tolerance tol) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        }
        List<String> bad = new ArrayList<>();
        int mismatches = 0;
        for (int i = 0; i < expected.length; i++) {
            if (!close(actual[i], expected[i], tol)) {
                mismatches++;
                if (bad.size() < SHOWN) {
                    bad.add("[" + i + "] got " + actual[i] + ", expected " + expected[i]);
                }
            }
        }
        if (mismatches > 0) {
            throw new AssertionError(what + ": " + mismatches + " of " + expected.length + " values differ beyond atol "
                    + tol.atol() + " + rtol " + tol.rtol() + ": " + String.join("; ", bad));
        }
    }

    public static void assertClose(String what, float[] actual, double[] expected, Tolerances.Tolerance tol) {
        double[] a = new double[actual.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = actual[i];
        }
        assertClose(what, a, expected, tol);
    }
}
