package ember.backend.parity;

/**
 * |got − ref| ≤ atol + rtol·|ref|. A non-finite reference must be matched exactly
 * (NaN by NaN, ±Inf by the same infinity); a non-finite result for a finite reference fails.
 */
public record Tolerance(double atol, double rtol) {
    public Tolerance {
        if (!(atol >= 0) || !(rtol >= 0)) {
            throw new IllegalArgumentException("tolerances must be >= 0: atol " + atol + ", rtol " + rtol);
        }
    }

    public boolean accepts(double ref, double got) {
        if (!Double.isFinite(ref)) {
            return Double.compare(ref, got) == 0 || (Double.isNaN(ref) && Double.isNaN(got));
        }
        return Double.isFinite(got) && Math.abs(got - ref) <= atol + rtol * Math.abs(ref);
    }
}
