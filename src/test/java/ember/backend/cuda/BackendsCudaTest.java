package ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ember.backend.Backends;
import org.junit.jupiter.api.Test;

/** How --device picks CUDA, and what it says when it cannot. */
class BackendsCudaTest {

    @Test
    void autoWithoutCudaSaysWhyAndRunsOnTheCpu() {
        CudaProbe.Report probe = CudaProbe.check();
        assumeFalse(probe.usable(), "this machine has a usable GPU, so auto picks CUDA");
        try (Backends.Choice choice = Backends.open("auto")) {
            assertEquals("cpu", choice.backend().name());
            assertTrue(choice.reason().startsWith("auto: CUDA not used: "), choice.reason());
            assertTrue(choice.reason().contains(probe.reason()), choice.reason());
            // Every problem names a file and what to set.
            assertTrue(choice.reason().contains("libcuda.so.1") || choice.reason().contains("libcublas.so.13"),
                    choice.reason());
            assertTrue(choice.reason().contains("EMBER_LIBCUDA") || choice.reason().contains("EMBER_CUBLAS"),
                    choice.reason());
        }
    }

    @Test
    void askingForCudaWithoutItIsAOneLineUserError() {
        CudaProbe.Report probe = CudaProbe.check();
        assumeFalse(probe.usable(), "this machine has a usable GPU");
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.open("cuda"));
        assertTrue(e.getMessage().startsWith("--device cuda: CUDA is not usable here: "), e.getMessage());
        assertTrue(e.getMessage().contains(probe.reason()), e.getMessage());
    }

    @Test
    void autoPicksCudaWhenUsable() {
        assumeTrue(CudaProbe.check().usable(), () -> "no usable GPU: " + CudaProbe.check().reason());
        try (Backends.Choice choice = Backends.open("auto")) {
            assertEquals("cuda", choice.backend().name());
        }
    }

    @Test
    void unknownDeviceListsCuda() {
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.open("tpu"));
        assertTrue(e.getMessage().contains("auto, cuda, cpu, reference"), e.getMessage());
    }
}
