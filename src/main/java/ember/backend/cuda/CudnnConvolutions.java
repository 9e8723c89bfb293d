package ember.backend.cuda;

import ember.backend.Buffer;
import ember.backend.ConvShape;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The convolution's three passes through cuDNN, planned once per shape and pass on first use:
 * descriptors made, every algorithm tried on the call's own inputs by cudnnFind…AlgorithmEx (into
 * scratch, so an accumulating weight gradient is not disturbed), and the fastest that fits the
 * workspace (and is deterministic, unless asked otherwise) kept. Planning allocates, so it must
 * happen before a step is captured: a recorded step's first run is op by op for that reason. All
 * passes share one workspace of {@link #WORKSPACE_BYTES}, allocated at the first plan.
 */
final class CudnnConvolutions implements AutoCloseable {
    /** Enough for the fast algorithms at ResNet20's shapes; FFT ones that want more are passed over. */
    static final long WORKSPACE_BYTES = 64L << 20;

    /** One pass at one shape, for buffers aligned to 16 bytes or not (cuDNN's fast kernels may need it). */
    record Key(ConvShape shape, Cudnn.Pass pass, boolean aligned) {}

    /** The descriptors and the algorithm of one {@link Key}. */
    private record Plan(MemorySegment a, MemorySegment b, MemorySegment out, MemorySegment convolution,
                        ConvAlgorithms.Result algorithm) {}

    private final Cudnn cudnn;
    private final IntFunction<Buffer> allocate;
    private final int mathType;
    private final boolean deterministic;
    private final Map<Key, Plan> plans = new HashMap<>();
    private Buffer workspace;

    /**
     * @param mathType Cudnn.DEFAULT_MATH (TF32 allowed) or Cudnn.FMA_MATH (plain fp32)
     * @param deterministic only algorithms that give the same bits every run
     */
    CudnnConvolutions(Cudnn cudnn, IntFunction<Buffer> allocate, int mathType, boolean deterministic) {
        this.cudnn = cudnn;
        this.allocate = allocate;
        this.mathType = mathType;
        this.deterministic = deterministic;
    }

    /** y = conv(x, w). */
    void forward(ConvShape s, CudaBuffer x, CudaBuffer w, CudaBuffer y) {
        run(s, Cudnn.Pass.FORWARD, x, w, y, false);
    }

    /** dx = conv-transpose(dy, w). */
    void backwardData(ConvShape s, CudaBuffer dy, CudaBuffer w, CudaBuffer dx) {
        run(s, Cudnn.Pass.BACKWARD_DATA, w, dy, dx, false);
    }

    /** dw += the weight gradient of x and dy. */
    void backwardFilter(ConvShape s, CudaBuffer x, CudaBuffer dy, CudaBuffer dw) {
        run(s, Cudnn.Pass.BACKWARD_FILTER, x, dy, dw, true);
    }

    /** How many plans exist: a steady state adds none. */
    int plans() {
        return plans.size();
    }

    private void run(ConvShape s, Cudnn.Pass pass, CudaBuffer a, CudaBuffer b, CudaBuffer out, boolean accumulate) {
        Key key = new Key(s, pass, aligned(a.address()) && aligned(b.address()) && aligned(out.address()));
        Plan plan = plans.computeIfAbsent(key, k -> plan(k, a, b));
        cudnn.run(pass, plan.a(), a.address(), plan.b(), b.address(), plan.convolution(), plan.algorithm().algo(),
                CudaBuffer.of(workspace).address(), WORKSPACE_BYTES, accumulate, plan.out(), out.address());
    }

    static boolean aligned(long address) {
        return address % 16 == 0;
    }

    private Plan plan(Key key, CudaBuffer a, CudaBuffer b) {
        if (workspace == null) {
            workspace = allocate.apply(Math.toIntExact(WORKSPACE_BYTES / Float.BYTES));
        }
        ConvDescriptors.Dims dims = ConvDescriptors.of(key.shape(), key.pass());
        MemorySegment aDesc = descriptor(dims.a(), dims.aIsFilter());
        MemorySegment bDesc = descriptor(dims.b(), false);
        MemorySegment outDesc = descriptor(dims.out(), dims.outIsFilter());
        MemorySegment convolution = cudnn.convolution(key.shape().padding(), key.shape().stride(), mathType);
        List<ConvAlgorithms.Result> results;
        // The search writes garbage into its output: scratch of the output's size, never the caller's buffer.
        try (Buffer scratch = allocate.apply(dims.outLength())) {
            results = cudnn.find(key.pass(), aDesc, a.address(), bDesc, b.address(), convolution, outDesc,
                    CudaBuffer.of(scratch).address(), CudaBuffer.of(workspace).address(), WORKSPACE_BYTES);
        }
        ConvAlgorithms.Result chosen = ConvAlgorithms.choose(results, deterministic, WORKSPACE_BYTES)
                .orElseThrow(() -> new IllegalStateException("cuDNN has no " + (deterministic ? "deterministic " : "")
                        + key.pass() + " algorithm within " + (WORKSPACE_BYTES >> 20) + " MiB of workspace for "
                        + key.shape() + "; it offered: " + results));
        // Run with the math type the algorithm was timed with.
        cudnn.mathType(convolution, chosen.mathType());
        return new Plan(aDesc, bDesc, outDesc, convolution, chosen);
    }

    private MemorySegment descriptor(int[] d, boolean filter) {
        return filter ? cudnn.filter(d[0], d[1], d[2], d[3]) : cudnn.tensor(d[0], d[1], d[2], d[3]);
    }

    /** What each plan chose, one line per plan, for the GPU check's log. */
    List<String> describe() {
        return plans.entrySet().stream().map(e -> e.getKey().pass() + " " + e.getKey().shape()
                + (e.getKey().aligned() ? "" : " (unaligned)") + ": " + e.getValue().algorithm()).sorted().toList();
    }

    @Override
    public void close() {
        for (Map.Entry<Key, Plan> e : plans.entrySet()) {
            Plan p = e.getValue();
            ConvDescriptors.Dims dims = ConvDescriptors.of(e.getKey().shape(), e.getKey().pass());
            destroy(p.a(), dims.aIsFilter());
            destroy(p.b(), false);
            destroy(p.out(), dims.outIsFilter());
            cudnn.destroyConvolution(p.convolution());
        }
        plans.clear();
        if (workspace != null) {
            workspace.close();
        }
    }

    private void destroy(MemorySegment d, boolean filter) {
        if (filter) {
            cudnn.destroyFilter(d);
        } else {
            cudnn.destroyTensor(d);
        }
    }
}
