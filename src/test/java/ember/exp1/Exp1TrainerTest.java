package ember.exp1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.backend.Backend;
import ember.backend.cpu.CpuBackend;
import ember.backend.reference.ReferenceBackend;
import ember.nn.Activation;
import ember.backend.parity.Comparison;
import ember.backend.parity.Tolerances;
import org.junit.jupiter.api.Test;

class Exp1TrainerTest {
    private static Exp1Config config(int epochs) {
        return config(epochs, 0.01f);
    }

    private static Exp1Config config(int epochs, float lr) {
        return new Exp1Config(TargetFunction.LAB_DEFAULT, epochs, lr, 0.9f, 16, 200, -5, 5,
                new int[] {12, 9}, Activation.TANH, 4);
    }

    private static Exp1Trainer.Result train(Backend backend, Exp1Config config) {
        return Exp1Trainer.train(backend, config, Exp1Data.of(config, TargetFunction.parse(config.function())), done -> {});
    }

    @Test
    void aTrainingStepAllocatesNoBuffers() {
        try (CpuBackend backend = CpuBackend.javaOnly(2)) {
            long before = backend.allocations();
            train(backend, config(Exp1Trainer.LOSS_READ_INTERVAL));
            long shortRun = backend.allocations() - before;
            train(backend, config(20 * Exp1Trainer.LOSS_READ_INTERVAL));
            long longRun = backend.allocations() - before - shortRun;
            assertEquals(shortRun, longRun, "allocations grew with the number of steps");
        }
    }

    @Test
    void cpuTrainingFollowsTheDoublePrecisionReference() {
        Exp1Config config = config(40, 0.002f);
        Exp1Trainer.Result reference;
        Exp1Trainer.Result cpu;
        try (Backend ref = new ReferenceBackend(); CpuBackend fast = CpuBackend.withBlasIfPresent(2)) {
            reference = train(ref, config);
            cpu = train(fast, config);
        }
        assertFalse(cpu.diverged());
        // 40 steps of float32 training drift from float64 by far less than this; a wrong op is off by O(1).
        Comparison result = Comparison.of(reference.losses(), cpu.losses(), Tolerances.TRAINING_F32);
        assertTrue(result.ok(), "exp1 losses, cpu vs reference: " + result.summary());
    }
}
