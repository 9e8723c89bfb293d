package ember.backend.parity;

import ember.backend.Precision;

/**
 * How far a float32 backend may stray from the double-precision reference, per op family.
 * One place for every parity check (JUnit and `ember selftest`). Inputs are uniform in
 * [-1, 1], so the absolute parts are on the scale of one.
 */
public final class Tolerances {
    private Tolerances() {}

    /** fill, relu, gather: the result is one of the inputs, exactly. */
    public static final Tolerance EXACT = new Tolerance(0, 0);
    /** One float operation per element (bias add, relu/tanh backward, MSE gradient, SGD): a few ulps. */
    public static final Tolerance ELEMENTWISE = new Tolerance(1e-6, 1e-6);
    /** tanhf is within 2 ulps; the reference is correctly rounded double. */
    public static final Tolerance TRANSCENDENTAL = new Tolerance(1e-6, 1e-5);
    /**
     * Float sums of up to a few thousand terms (sumRows, MSE) in an order the reference does
     * not share: error grows like sqrt(n)·eps·|partial sums|.
     */
    public static final Tolerance REDUCTION = new Tolerance(1e-5, 1e-5);
    /**
     * SGEMM with k ≤ 576 in plain fp32. TF32 (10-bit mantissa) would miss this by far, so the
     * check also proves cuBLAS does not use TF32 behind our back.
     */
    public static final Tolerance GEMM = new Tolerance(1e-4, 1e-4);

    /**
     * Batch norm against the double reference: statistics over batch·pixels, sums of up to a
     * few thousand O(1) values.
     */
    public static final Tolerance NETWORK = new Tolerance(1e-4, 1e-4);

    /**
     * Convolutions, which may run as Winograd F(4×4, 3×3) (the CPU backend's 3×3 stride-1
     * path; cuDNN may pick it too): the output transform multiplies the float32 rounding of
     * the channel sums by up to 8 in each direction. 64 channels of O(1) inputs give outputs
     * of scale ~6 and errors up to 1.0e-4 (120 seeded cases; 1.7e-5 of the scale); any wrong
     * term errs by O(0.1).
     */
    public static final Tolerance CONVOLUTION = new Tolerance(3e-4, 1e-4);

    /** The tolerance of a {@link ember.backend.spec.OpSpec}'s op, by the family above it belongs to. */
    public static Tolerance forOp(String op) {
        return switch (op) {
            case "fill", "copy", "relu", "reluBackward", "gatherRows" -> EXACT;
            case "add", "addBias", "tanhBackward", "mseBackward", "sgdStep", "globalAvgPoolBackward" -> ELEMENTWISE;
            case "tanh" -> TRANSCENDENTAL;
            case "sumRows", "mseLoss", "globalAvgPool", "softmaxCrossEntropy" -> REDUCTION;
            case "gemm" -> GEMM;
            case "batchNormTraining", "batchNormInference", "batchNormBackward" -> NETWORK;
            case "conv2d", "conv2dBackwardData", "conv2dBackwardFilter" -> CONVOLUTION;
            default -> throw new IllegalArgumentException("no tolerance stated for op " + op);
        };
    }

    /**
     * Convolutions in TF32 ({@link Precision#TF32}): tensor cores round each input to a 10-bit
     * mantissa (relative error up to 2⁻¹¹ ≈ 4.9e-4 per operand) and sum in float32. Outputs of
     * scale ~6 (576 terms of O(1)) may then err by ~6e-3; a missing or wrong term still errs by
     * O(0.1). Derived, not yet measured on a GPU.
     */
    public static final Tolerance CONVOLUTION_TF32 = new Tolerance(2e-2, 2e-3);

    /** The tolerance a case has under {@code precision}: TF32 widens the convolutions' only. */
    public static Tolerance under(Precision precision, Tolerance tolerance) {
        return precision == Precision.TF32 && tolerance.equals(CONVOLUTION) ? CONVOLUTION_TF32 : tolerance;
    }

    /**
     * Central finite differences in double with step 1e-6: truncation error ~h² and
     * cancellation error ~ε/h ≈ 1e-10, so 1e-6 never flakes yet any wrong term (O(1)) fails.
     */
    public static final Tolerance GRADIENT_CHECK_F64 = new Tolerance(1e-6, 1e-6);

    /**
     * A short float32 training run against the float64 reference: per-op rounding (~1e-6) is
     * amplified by every later step; after tens of steps the losses agree to ~1e-4.
     */
    public static final Tolerance TRAINING_F32 = new Tolerance(1e-4, 2e-3);
}
