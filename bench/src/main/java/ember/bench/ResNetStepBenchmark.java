package ember.bench;

import ember.backend.Buffer;
import ember.backend.cpu.CpuBackend;
import ember.nn.CrossEntropyLoss;
import ember.nn.ResNet;
import ember.nn.Sgd;
import java.util.SplittableRandom;
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
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
public class ResNetStepBenchmark {
    static final int BATCH = 128;

    private CpuBackend backend;
    private ResNet model;
    private Sgd sgd;
    private CrossEntropyLoss loss;
    private Buffer images, labels, dLogits, stats;

    @Setup(Level.Trial)
    public void setUp() {
        backend = CpuBackend.withBlasIfPresent(Runtime.getRuntime().availableProcessors());
        model = new ResNet(backend, ResNet.Config.resnet20(), BATCH);
        model.initialize(1);
        sgd = new Sgd(backend, model.parameters(), 0.9f, 5e-4f);
        loss = new CrossEntropyLoss(backend, 10);
        SplittableRandom random = new SplittableRandom(1);
        images = RandomBuffers.uniform(backend, BATCH * 3 * 32 * 32, 2, random);
        float[] y = new float[BATCH];
        for (int i = 0; i < BATCH; i++) {
            y[i] = random.nextInt(10);
        }
        labels = backend.allocate(BATCH);
        backend.write(labels, y);
        dLogits = backend.allocate(BATCH * 10);
        stats = backend.allocate(2);
    }

    @Benchmark
    public Buffer trainingStep() {
        Buffer logits = model.forward(images, BATCH, true);
        loss.forwardBackward(logits, labels, dLogits, stats, BATCH);
        model.parameters().zeroGrads();
        model.backward(images, dLogits, BATCH);
        sgd.step(0.01f);
        return stats;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Buffer b : new Buffer[] {images, labels, dLogits, stats}) {
            b.close();
        }
        sgd.close();
        model.close();
        backend.close();
    }
}
