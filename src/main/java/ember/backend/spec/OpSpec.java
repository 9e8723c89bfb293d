package ember.backend.spec;

import ember.backend.Backend;
import ember.backend.Primitive;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * One op at one shape, stated once for the parity cases and the kernel benchmarks: the work it
 * does ({@code flops}) and the least memory traffic any implementation has ({@code bytes}: each
 * tensor it reads counted once, each it writes once, read as well where it accumulates), the
 * primitives it calls, and how to set it up on any backend.
 *
 * @param op    the {@link Backend} method it times, e.g. "conv2dBackwardFilter"
 * @param shape what it runs on, e.g. "128x16x32x32>16 k3 s1"
 */
public record OpSpec(String op, String shape, Set<Primitive> needs, long flops, long bytes, Setup setup) {

    /** Uploads an op's inputs through {@code in} and returns it ready to run. */
    @FunctionalInterface
    public interface Setup {
        OpRun prepare(OpInputs in);
    }

    public OpSpec {
        needs = Set.copyOf(needs);
        if (flops < 0 || bytes <= 0 || shape.contains(",")) {
            throw new IllegalArgumentException("invalid op spec " + op + " " + shape + ": " + flops + " flops, "
                    + bytes + " bytes (names hold no commas: JMH splits parameters at them)");
        }
    }

    /** "conv2d 128x16x32x32>16 k3 s1": unique within {@link OpSpecs#catalogue()}. */
    public String name() {
        return op + " " + shape;
    }

    /**
     * The op on {@code backend} with inputs drawn from {@code seed}: the same seed gives the same
     * values on every backend. Close the result to free its buffers.
     */
    public OpRun prepare(Backend backend, long seed) {
        OpInputs in = new OpInputs(backend, new SplittableRandom(seed));
        try {
            return setup.prepare(in);
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** What of this op {@code backend} does not implement: empty when it runs. */
    public Set<Primitive> missingOn(Backend backend) {
        return needs.stream().filter(backend.lacks()::contains).collect(Collectors.toSet());
    }
}
