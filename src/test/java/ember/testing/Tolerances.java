package ember.testing;

/**
 * Every tolerance the tests use, in one place, with the reason for its size.
 * A comparison passes when |actual − expected| ≤ atol + rtol·|expected|.
 */
public final class Tolerances {
    private Tolerances() {}

    public record Tolerance(double atol, double rtol) {}

    /** float32 elementwise ops against the double reference: one or two ulps of float. */
    public static final Tolerance ELEMENTWISE_F32 = new Tolerance(1e-6, 1e-5);

    /**
     * float32 reductions and GEMM of length k against the double reference: rounding grows
     * like √k·ε·Σ|terms|; inputs are O(1), so 1e-4 relative plus an absolute floor near zero
     * (where cancellation leaves sums much smaller than their terms) covers k up to ~10⁴.
     */
    public static final Tolerance REDUCTION_F32 = new Tolerance(1e-4, 1e-4);

    /**
     * A short float32 training run against the float64 reference: per-op rounding (~1e-6)
     * is amplified by every later step; after tens of steps the losses agree to ~1e-4.
     */
    public static final Tolerance TRAINING_F32 = new Tolerance(1e-4, 2e-3);

    /**
     * Central finite differences in double with step 1e-6: truncation error ~h² and
     * cancellation error ~ε/h ≈ 1e-10, so 1e-6 is loose enough never to flake and tight
     * enough to catch any wrong term (which shows up at O(1)).
     */
    public static final Tolerance GRADIENT_CHECK_F64 = new Tolerance(1e-6, 1e-6);
}
