package ember.backend;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a command runs, as far as choosing a backend goes: the primitives it needs, and the
 * backends `--device auto` tries for it, fastest first, with the measurement that says so.
 */
public enum Job {
    EXP1("exp1", EnumSet.of(Primitive.ALLOCATE, Primitive.WRITE, Primitive.READ, Primitive.FILL, Primitive.GEMM,
            Primitive.ADD_BIAS, Primitive.SUM_ROWS, Primitive.RELU, Primitive.RELU_BACKWARD, Primitive.TANH,
            Primitive.TANH_BACKWARD, Primitive.GATHER_ROWS, Primitive.MSE_LOSS, Primitive.MSE_BACKWARD,
            Primitive.SGD_STEP),
            List.of("cpu", "cuda"),
            "exp1's MLP takes a few tiny ops per step, and the CPU backend ran its 10,000 steps faster than CUDA "
                    + "on the GPU machine (2.08 s vs 3.21 s, H200, docs/device-log.md)"),
    EXP2("exp2", EnumSet.complementOf(EnumSet.of(Primitive.TANH, Primitive.TANH_BACKWARD, Primitive.MSE_LOSS,
            Primitive.MSE_BACKWARD, Primitive.GATHER_ROWS)),
            List.of("cuda", "opencl-gpu", "cpu"),
            "ResNet20's training step is ~245 MFLOP per image: a GPU that runs all of it beats the CPU"),
    /** Whatever ops a check calls: no backend is refused for lacking one (the check reports it). */
    CHECK("selftest", EnumSet.noneOf(Primitive.class), List.of("cuda", "cpu"), "the GPU is what needs checking");

    private final String label;
    private final EnumSet<Primitive> needs;
    private final List<String> fastestFirst;
    private final String whyThisOrder;

    Job(String label, EnumSet<Primitive> needs, List<String> fastestFirst, String whyThisOrder) {
        this.label = label;
        this.needs = needs;
        this.fastestFirst = fastestFirst;
        this.whyThisOrder = whyThisOrder;
    }

    public String label() {
        return label;
    }

    public Set<Primitive> needs() {
        return EnumSet.copyOf(needs);
    }

    /** The backends auto tries, in order: the first present one that can run the whole job runs it. */
    public List<String> fastestFirst() {
        return fastestFirst;
    }

    public String whyThisOrder() {
        return whyThisOrder;
    }

    /** What of this job backend b cannot run: empty when it runs all of it. */
    public Set<Primitive> missingOn(Backend b) {
        Set<Primitive> missing = EnumSet.noneOf(Primitive.class);
        missing.addAll(b.lacks());
        missing.retainAll(needs);
        return missing;
    }
}
