package ember.backend.parity;

import ember.backend.Backend;
import ember.backend.Precision;
import ember.backend.spec.OpRun;
import ember.backend.spec.OpSpec;
import java.util.function.Function;

/**
 * One op on one shape with fixed inputs: {@code run} allocates on the given backend, writes
 * the inputs, runs the op, reads back what it wrote (for in-place ops, every buffer it
 * changed, concatenated) and frees what it allocated.
 */
public record ParityCase(String op, String shape, Tolerance tolerance, Function<Backend, float[]> run) {
    public String name() {
        return op + " " + shape;
    }

    /** This case with its tolerance for a backend computing in {@code precision} ({@link Tolerances#under}). */
    public ParityCase under(Precision precision) {
        return new ParityCase(op, shape, Tolerances.under(precision, tolerance), run);
    }

    /** The op of {@code spec} on inputs drawn from {@code seed}, within its op's {@link Tolerances#forOp}. */
    public static ParityCase of(OpSpec spec, long seed) {
        return new ParityCase(spec.op(), spec.shape(), Tolerances.forOp(spec.op()), b -> {
            try (OpRun run = spec.prepare(b, seed)) {
                run.run();
                return run.output();
            }
        });
    }

    /** Runs the case on {@code candidate} and on {@code reference} and compares the outputs. */
    public Comparison check(Backend candidate, Backend reference) {
        return Comparison.of(run.apply(reference), run.apply(candidate), tolerance);
    }
}
