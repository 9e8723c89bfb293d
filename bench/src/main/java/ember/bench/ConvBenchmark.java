package ember.bench;

import ember.backend.Buffer;
import ember.backend.ConvShape;
import ember.backend.cpu.CpuBackend;
import java.util.SplittableRandom;
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
 * The three passes of ResNet20's 3×3 stride-1 convolutions, one stage each, on a batch of 128
 * on the CPU backend (Winograd by default; add {@code -jvmArgsAppend "... -Dember.fastConv=never"}
 * for im2col + GEMM). Direct-equivalent GFLOP/s = 2·128·C²·9·H·W / (time per op).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
public class ConvBenchmark {
    /** "channels@size": the three stages. */
    @Param({"16@32", "32@16", "64@8"})
    public String stage;

    private CpuBackend backend;
    private ConvShape shape;
    private Buffer x, w, y, dx, dw;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = stage.split("@");
        int channels = Integer.parseInt(parts[0]), size = Integer.parseInt(parts[1]);
        shape = new ConvShape(128, channels, size, size, channels, 3, 1, 1);
        backend = CpuBackend.withBlasIfPresent(Runtime.getRuntime().availableProcessors());
        SplittableRandom random = new SplittableRandom(1);
        x = RandomBuffers.uniform(backend, shape.inputSize(), 1, random);
        w = RandomBuffers.uniform(backend, shape.weightSize(), 1, random);
        y = RandomBuffers.uniform(backend, shape.outputSize(), 1, random);
        dx = backend.allocate(shape.inputSize());
        dw = backend.allocate(shape.weightSize());
    }

    @Benchmark
    public Buffer forward() {
        backend.conv2d(shape, x, w, y);
        return y;
    }

    @Benchmark
    public Buffer backwardData() {
        backend.conv2dBackwardData(shape, y, w, dx);
        return dx;
    }

    @Benchmark
    public Buffer backwardFilter() {
        backend.conv2dBackwardFilter(shape, x, y, dw);
        return dw;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Buffer b : new Buffer[] {x, w, y, dx, dw}) {
            b.close();
        }
        backend.close();
    }
}
