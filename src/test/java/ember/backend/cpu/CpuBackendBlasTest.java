package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How the CPU backend finds (or does not find) a BLAS, and what it says about it. */
class CpuBackendBlasTest {

    @Test
    void withoutBlasItSaysSoAndWhatToInstall() {
        try (CpuBackend backend = new CpuBackend(2, List.of("libno-such-blas.so.9"))) {
            assertFalse(backend.usesBlas());
            assertTrue(backend.description().contains("no CBLAS library found: tried libno-such-blas.so.9"),
                    backend.description());
            assertTrue(backend.description().contains("libopenblas0"), backend.description());
        }
    }

    @Test
    void anExplicitLibraryThatDoesNotExistIsAnErrorNamingIt() {
        String old = System.getProperty(BlasGemm.PROPERTY);
        System.setProperty(BlasGemm.PROPERTY, "/nonexistent/libopenblas.so.0");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> BlasGemm.find(List.of()));
            assertTrue(e.getMessage().contains("/nonexistent/libopenblas.so.0"), e.getMessage());
            assertTrue(e.getMessage().contains(BlasGemm.PROPERTY), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(BlasGemm.PROPERTY);
            } else {
                System.setProperty(BlasGemm.PROPERTY, old);
            }
        }
    }

    @Test
    void aBufferIsUnusableAfterCloseAndCloseIsIdempotent() {
        try (CpuBackend backend = CpuBackend.javaOnly(1)) {
            var buffer = backend.allocate(4);
            var view = buffer.slice(1, 2);
            view.close(); // a view never frees its owner
            backend.fill(buffer, 1f);
            buffer.close();
            buffer.close();
            assertThrows(IllegalStateException.class, () -> backend.fill(view, 2f));
            assertThrows(IllegalStateException.class, () -> backend.fill(buffer, 2f));
        }
    }

    @Test
    void openBlasGetsTheWidestKernelsTheFlagsAllow() {
        assertEquals("SkylakeX", BlasGemm.coreFor("processor : 0\nflags\t\t: fpu sse2 avx2 fma avx512f avx512dq avx512bw "
                + "avx512vl\n"));
        assertEquals("Haswell", BlasGemm.coreFor("flags : fpu sse2 avx avx2 fma\n"));
        assertEquals(null, BlasGemm.coreFor("flags : fpu sse2 avx\n"));
        assertEquals(null, BlasGemm.coreFor("no flags line"));
    }

    @Test
    void theBlasLineNamesTheKernelsInUse() {
        try (CpuBackend cpu = CpuBackend.withBlasIfPresent(1)) {
            org.junit.jupiter.api.Assumptions.assumeTrue(cpu.usesBlas(), cpu.description());
            assertTrue(cpu.description().contains("core "), cpu.description());
        }
    }
}
