package ember.backend.parity;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The outcome of comparing a backend's output with the reference's, element by element. */
public record Comparison(int mismatches, int length, double maxError, List<String> firstMismatches) {
    /** How many mismatching elements are described. */
    static final int SHOWN = 5;

    public boolean ok() {
        return mismatches == 0;
    }

    public static Comparison of(float[] ref, float[] got, Tolerance tolerance) {
        return of(widen(ref), widen(got), tolerance);
    }

    /** The double-precision form, for float64 checks such as finite-difference gradients. */
    public static Comparison of(double[] ref, double[] got, Tolerance tolerance) {
        if (ref.length != got.length) {
            return new Comparison(Math.max(ref.length, got.length), ref.length, Double.POSITIVE_INFINITY,
                    List.of("lengths differ: reference " + ref.length + ", got " + got.length));
        }
        int bad = 0;
        double maxError = 0;
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < ref.length; i++) {
            double error = Math.abs((double) got[i] - ref[i]);
            if (!Double.isNaN(error)) {
                maxError = Math.max(maxError, error);
            }
            if (!tolerance.accepts(ref[i], got[i])) {
                bad++;
                if (shown.size() < SHOWN) {
                    shown.add(String.format(Locale.ROOT, "[%d] ref %.12g got %.12g (|diff| %.3g > %.3g)", i, ref[i],
                            got[i], error, tolerance.atol() + tolerance.rtol() * Math.abs(ref[i])));
                }
            }
        }
        return new Comparison(bad, ref.length, maxError, List.copyOf(shown));
    }

    private static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** One line: "ok (max |diff| 1.2e-07)" or "12 of 1000 differ: [3] ref ... got ...; ...". */
    public String summary() {
        if (ok()) {
            return String.format(Locale.ROOT, "ok (max |diff| %.2g over %d values)", maxError, length);
        }
        return mismatches + " of " + length + " differ: " + String.join("; ", firstMismatches);
    }
}
