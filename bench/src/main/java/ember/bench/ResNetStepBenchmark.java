package ember.bench;

import ember.backend.Buffer;
import ember.backend.cpu.CpuBackend;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One ResNet20 training step (batch 128: forward, cross-entropy, backward, SGD) on the CPU
 * backend, on fixed random images: the compute part of an exp2 epoch (390 steps), without the
 * loader. ~31.5 GFLOP per step counted as direct convolution (Winograd does fewer), so
 * direct-equivalent GFLOP/s = 31.5 / (seconds per step). Compare conv paths with
 * {@code -jvmArgsAppend "--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Dember.fastConv=never"}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 10)
@Measurement(iterations = 5, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
        "-XX:ObjectAlignmentInBytes=64"})
public class ResNetStepBenchmark {
    static final int BATCH = 128;

    private CpuBackend backend;
    private ResNetStep step;

    @Setup(Level.Trial)
    public void setUp() {
        backend = CpuBackend.withBlasIfPresent(Runtime.getRuntime().availableProcessors());
        step = new ResNetStep(backend, BATCH);
    }

    @Benchmark
    public Buffer trainingStep() {
        return step.run();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
        backend.close();
    }
}
