package ember.backend;

import ember.backend.cpu.CpuBackend;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU backend against the reference on every op, twice: GEMM through the system's
 * CBLAS, and through the Java loops used when none is installed. CI installs OpenBLAS, so
 * both paths run there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CpuBackendParityTest {
    private CpuBackend withBlas;
    private CpuBackend javaOnly;

    @BeforeAll
    void open() {
        withBlas = CpuBackend.withBlasIfPresent(2);
        javaOnly = CpuBackend.javaOnly(2);
    }

    @AfterAll
    void close() {
        withBlas.close();
        javaOnly.close();
    }

    static List<OpSpec> specs() {
        return OpSpec.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void blasPath(OpSpec spec) {
        Assumptions.assumeTrue(withBlas.usesBlas(), "no CBLAS library installed: " + withBlas.description());
        BackendParity.check(withBlas, spec, spec.name().hashCode());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void javaPath(OpSpec spec) {
        BackendParity.check(javaOnly, spec, spec.name().hashCode() + 1L);
    }
}
