package ember.bench;

import ember.backend.Backends;
import ember.backend.Job;
import ember.backend.Primitive;
import ember.backend.spec.OpRun;
import ember.backend.spec.OpSpec;
import ember.backend.spec.OpSpecs;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One op spec ({@link OpSpecs}) on one backend: each invocation runs the op once and waits for
 * it (a one-value read, so asynchronous backends are timed to completion). {@link KernelTable}
 * runs it over the whole catalogue and turns the medians into GFLOP/s, GB/s and fractions of
 * the peaks measured in the same run; alone it times the default peaks:
 * {@code -p backend=cuda -p spec="gemm 2048x2048x2048"}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
        "-XX:ObjectAlignmentInBytes=64"})
public class KernelBenchmark {
    /** An {@link OpSpec#name()} of {@link OpSpecs#catalogue()}. */
    @Param({"gemm 1024x1024x1024", "copy 256 MiB"})
    public String spec;

    /** As --device names it: cpu, opencl, opencl:N, cuda, reference. */
    @Param({"cpu"})
    public String backend;

    private Backends.Choice choice;
    private OpRun run;

    @Setup(Level.Trial)
    public void setUp() {
        OpSpec op = OpSpecs.named(spec);
        choice = Backends.open(backend, Job.CHECK);
        Set<Primitive> missing = op.missingOn(choice.backend());
        if (!missing.isEmpty()) {
            choice.close();
            throw new IllegalStateException(backend + " lacks " + Primitive.names(missing) + ", which " + spec
                    + " needs");
        }
        run = op.prepare(choice.backend(), 1);
    }

    @Benchmark
    public float op() {
        return run.runAndWait();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        run.close();
        choice.close();
    }
}
