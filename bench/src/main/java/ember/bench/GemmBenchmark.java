package ember.bench;

import ember.backend.Backend;
import ember.backend.Buffer;
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
 * GEMM on the CPU backend, through BLAS and through the Java loops, at the shapes training
 * uses: exp1's 64×64 layers and im2col convolutions of ResNet20 (M = output channels,
 * N = batch·pixels, K = input channels·9). GFLOP/s = 2·M·N·K / (time per op).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
        "-XX:ObjectAlignmentInBytes=64"})
public class GemmBenchmark {
    /** "M,N,K". */
    @Param({"64,64,64", "16,8192,144", "64,2048,576"})
    public String shape;

    @Param({"blas", "java"})
    public String gemm;

    private Backend backend;
    private Buffer a, b, c;
    private int m, n, k;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split(",");
        m = Integer.parseInt(parts[0]);
        n = Integer.parseInt(parts[1]);
        k = Integer.parseInt(parts[2]);
        int threads = Runtime.getRuntime().availableProcessors();
        CpuBackend cpu = gemm.equals("blas") ? CpuBackend.withBlasIfPresent(threads) : CpuBackend.javaOnly(threads);
        if (gemm.equals("blas") && !cpu.usesBlas()) {
            throw new IllegalStateException("no BLAS installed: " + cpu.description());
        }
        backend = cpu;
        a = RandomBuffers.uniform(backend, m * k, 1, new SplittableRandom(1));
        b = RandomBuffers.uniform(backend, k * n, 1, new SplittableRandom(2));
        c = backend.allocate(m * n);
    }

    @Benchmark
    public Buffer sgemm() {
        backend.gemm(false, false, m, n, k, 1f, a, b, 0f, c);
        return c;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
        backend.close();
    }
}
