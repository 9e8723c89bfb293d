package ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ember.backend.Buffer;
import ember.backend.cpu.CpuBackend;
import ember.backend.parity.Comparison;
import ember.backend.parity.Tolerance;
import ember.exp1.Exp1Config;
import ember.exp1.Exp1Data;
import ember.exp1.Exp1Trainer;
import ember.exp1.TargetFunction;
import ember.nn.Activation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend's own promises (its ops against the reference are in BackendParityTest).
 * Without a usable GPU each test is reported as skipped with the probe's reason, never as passed.
 */
class CudaParityTest {
    private static CudaBackend cuda;

    @BeforeAll
    static void open() {
        if (CudaProbe.check().usable()) {
            cuda = CudaBackend.open(ember.backend.Precision.FP32);
            System.out.println(cuda.description());
        }
    }

    /** Per test, not in @BeforeAll: a class-level assumption is reported as zero tests, not as skipped ones. */
    @BeforeEach
    void needsGpu() {
        assumeTrue(cuda != null, () -> "no usable GPU: " + CudaProbe.check().reason());
    }

    @AfterAll
    static void close() {
        if (cuda != null) {
            cuda.close();
        }
    }

    @Test
    void steadyStateOpsAllocateNoDeviceMemory() {
        try (Buffer a = cuda.allocate(64 * 32); Buffer b = cuda.allocate(32 * 16); Buffer c = cuda.allocate(64 * 16);
             Buffer bias = cuda.allocate(16); Buffer idx = cuda.allocate(64); Buffer loss = cuda.allocate(1);
             Buffer lr = cuda.allocate(1)) {
            float[] host = new float[64 * 16];
            Runnable step = () -> {
                cuda.write(idx, new float[64]);
                cuda.gatherRows(a, idx, a.slice(0, 64), 1);
                cuda.gemm(false, false, 64, 16, 32, 1f, a, b, 0f, c);
                cuda.addBias(c, bias, 64, 16);
                cuda.tanh(c, c);
                cuda.tanhBackward(c, c, c);
                cuda.relu(c, c);
                cuda.reluBackward(c, c, c);
                cuda.mseLoss(c, c, loss);
                cuda.mseBackward(c, c, c);
                cuda.sumRows(c, bias, 64, 16);
                cuda.sgdStep(b, b, b.slice(0, b.length()), lr, 0.9f, 1e-4f);
                cuda.fill(c, 0f);
                cuda.read(c, host);
            };
            step.run();
            long before = cuda.allocations();
            for (int i = 0; i < 20; i++) {
                step.run();
            }
            assertEquals(before, cuda.allocations(), "device allocations during steady-state steps");
        }
    }

    @Test
    void badGatherIndexIsReportedAtTheNextRead() {
        try (Buffer table = cuda.allocate(6); Buffer idx = cuda.allocate(2); Buffer out = cuda.allocate(4)) {
            cuda.write(idx, new float[] {1, 3}); // 3 rows of width 2: index 3 is out of range
            cuda.gatherRows(table, idx, out, 2);
            var e = assertThrows(IndexOutOfBoundsException.class, () -> cuda.read(out, new float[4]));
            assertTrue(e.getMessage().contains("index 3.0 outside 0..2"), e.getMessage());
            cuda.read(out, new float[4]); // the fault is cleared once reported
        }
    }

    @Test
    void exp1LossesFollowTheCpuRun() {
        Exp1Config config = new Exp1Config(TargetFunction.LAB_DEFAULT, 300, Exp1Config.DEFAULT_LR,
                Exp1Config.DEFAULT_MOMENTUM, Exp1Config.DEFAULT_BATCH, Exp1Config.DEFAULT_SAMPLES, -5, 5,
                new int[] {64, 64}, Activation.TANH, 1);
        Exp1Data data = Exp1Data.of(config, TargetFunction.parse(config.function()));
        Exp1Trainer.Result onGpu = Exp1Trainer.train(cuda, config, data, steps -> {});
        Exp1Trainer.Result onCpu;
        try (CpuBackend cpu = CpuBackend.withBlasIfPresent(2)) {
            onCpu = Exp1Trainer.train(cpu, config, data, steps -> {});
        }
        // Same seed, same batches: float rounding differs, so the curves agree loosely, not bit for bit.
        Comparison curves = Comparison.of(onCpu.losses(), onGpu.losses(), new Tolerance(1e-4, 1e-2));
        assertTrue(curves.ok(), curves.summary());
    }
}
