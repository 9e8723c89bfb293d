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
 * The passes of ResNet20's convolutions on a batch of 128 on the CPU backend: by default the
 * 3×3 stride-1 ones of each stage (Winograd by default; add {@code -jvmArgsAppend "...
 * -Dember.fastConv=never"} for im2col + GEMM) and the two stride-2 ones that open stages 2 and
 * 3 (im2col + GEMM); {@code -p stage=} also takes the stem (3>16@32) and the 1×1 shortcuts
 * (16>32@32/2k1, 32>64@16/2k1). {@code backward} is backward-data and the weight gradient in
 * one call, as a step runs them. Direct-equivalent GFLOP/s = 2·128·inC·outC·k²·outH·outW / (time per op).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
        "-XX:ObjectAlignmentInBytes=64"})
public class ConvBenchmark {
    /** "channels@size" (stride 1) or "in>out@size/2" (stride 2), size the input's; a suffix "k1" for a 1×1 kernel. */
    @Param({"16@32", "32@16", "64@8", "16>32@32/2", "32>64@16/2"})
    public String stage;

    private CpuBackend backend;
    private ConvShape shape;
    private Buffer x, w, y, dx, dw;

    @Setup(Level.Trial)
    public void setUp() {
        String[] kernel = stage.split("k"), parts = kernel[0].split("@"), channels = parts[0].split(">");
        String[] where = parts[1].split("/");
        int in = Integer.parseInt(channels[0]), out = Integer.parseInt(channels[channels.length - 1]);
        int size = Integer.parseInt(where[0]), stride = where.length > 1 ? Integer.parseInt(where[1]) : 1;
        int k = kernel.length > 1 ? Integer.parseInt(kernel[1]) : 3;
        shape = new ConvShape(128, in, size, size, out, k, stride, k / 2);
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

    @Benchmark
    public Buffer backward() {
        backend.conv2dBackward(shape, x, y, w, null, false, dx, dw);
        return dx;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Buffer b : new Buffer[] {x, w, y, dx, dw}) {
            b.close();
        }
        backend.close();
    }
}
