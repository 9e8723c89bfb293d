package ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ember.backend.Backends;
import ember.backend.Job;
import ember.backend.Precision;
import ember.backend.Primitive;
import org.junit.jupiter.api.Test;

/** How --device picks a backend for a job, and what it says when it passes one over or refuses it. */
class BackendsCudaTest {

    @Test
    void autoForExp2WithoutCudaSaysWhyAndRunsOnTheCpu() {
        CudaProbe.Report probe = CudaProbe.check();
        assumeFalse(probe.usable(), "this machine has a usable GPU");
        try (Backends.Choice choice = Backends.open("auto", Job.EXP2)) {
            assertEquals("cpu", choice.backend().name());
            assertTrue(choice.reason().startsWith("auto: the CPU runs all of exp2; auto tries cuda, then opencl-gpu, "
                    + "then cpu for exp2"),
                    choice.reason());
            assertTrue(choice.reason().contains("CUDA not used: " + probe.reason()), choice.reason());
            // Every problem names a file and what to set.
            assertTrue(choice.reason().contains("libcuda.so.1") || choice.reason().contains("libcublas.so.13"),
                    choice.reason());
            assertTrue(choice.reason().contains("EMBER_LIBCUDA") || choice.reason().contains("EMBER_CUBLAS"),
                    choice.reason());
        }
    }

    @Test
    void autoForExp1TriesTheCpuFirstAndSaysWhy() {
        try (Backends.Choice choice = Backends.open("auto", Job.EXP1)) {
            assertEquals("cpu", choice.backend().name());
            assertTrue(choice.reason().contains("auto tries cpu, then cuda for exp1 (exp1's MLP takes a few tiny ops"),
                    choice.reason());
        }
    }

    @Test
    void askingForCudaWithoutItIsAOneLineUserError() {
        CudaProbe.Report probe = CudaProbe.check();
        assumeFalse(probe.usable(), "this machine has a usable GPU");
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.open("cuda", Job.EXP1));
        assertTrue(e.getMessage().startsWith("--device cuda: CUDA is not usable here: "), e.getMessage());
        assertTrue(e.getMessage().contains(probe.reason()), e.getMessage());
    }

    /**
     * On a GPU machine: with cuDNN, exp2 runs on CUDA; without it, on the CPU, saying which ops
     * CUDA lacks and why cuDNN did not open.
     */
    @Test
    void onAGpuAutoRunsExp2OnCudaWhenCudnnOpens() {
        assumeTrue(CudaProbe.check().usable(), () -> "no usable GPU: " + CudaProbe.check().reason());
        boolean complete;
        try (CudaBackend cuda = CudaBackend.open(Precision.TF32)) {
            complete = Job.EXP2.missingOn(cuda).isEmpty();
            assertEquals(complete, cuda.description().contains(", convolutions in tf32"), cuda.description());
        }
        try (Backends.Choice choice = Backends.open("auto", Job.EXP2)) {
            if (complete) {
                assertEquals("cuda", choice.backend().name(), choice.reason());
                assertTrue(choice.backend().description().contains("convolutions in tf32"), choice.backend().description());
            } else {
                assertEquals("cpu", choice.backend().name());
                assertTrue(choice.reason().contains("CUDA is usable but cannot run exp2: it lacks conv2d"),
                        choice.reason());
                assertTrue(choice.reason().contains("no cuDNN"), choice.reason());
            }
        }
    }

    @Test
    void exp1NeedsNoConvolutionAndExp2NoTanh() {
        assertTrue(Job.EXP2.needs().contains(Primitive.CONV2D));
        assertTrue(!Job.EXP1.needs().contains(Primitive.CONV2D) && !Job.EXP2.needs().contains(Primitive.TANH));
        assertTrue(Job.CHECK.needs().isEmpty());
    }

    @Test
    void unknownDeviceListsCuda() {
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.open("tpu", Job.EXP2));
        assertTrue(e.getMessage().contains("auto, cuda, opencl, opencl:N, cpu, reference"), e.getMessage());
    }
}
