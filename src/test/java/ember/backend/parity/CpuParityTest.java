package ember.backend.parity;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.backend.cpu.CpuBackend;
import ember.backend.reference.ReferenceBackend;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The shared parity cases on the CPU backend, twice: GEMM through the system's CBLAS and
 * through the Java loops used when none is installed (CI installs OpenBLAS, so both run). The
 * convolutions once more on 12 workers, where weight gradients are summed in one chunk per
 * worker instead of 8.
 */
class CpuParityTest {
    private static CpuBackend cpu;
    private static CpuBackend javaOnly;
    private static CpuBackend manyWorkers;
    private static final ReferenceBackend REFERENCE = new ReferenceBackend();

    @BeforeAll
    static void open() {
        cpu = CpuBackend.withBlasIfPresent(2);
        javaOnly = CpuBackend.javaOnly(2);
        manyWorkers = CpuBackend.javaOnly(12);
    }

    @AfterAll
    static void close() {
        cpu.close();
        javaOnly.close();
        manyWorkers.close();
    }

    @TestFactory
    Stream<DynamicTest> everyOpMatchesTheReferenceWithBlas() {
        Assumptions.assumeTrue(cpu.usesBlas(), "no CBLAS library installed: " + cpu.description());
        return cases(cpu);
    }

    @TestFactory
    Stream<DynamicTest> everyOpMatchesTheReferenceWithJavaGemm() {
        return cases(javaOnly);
    }

    @TestFactory
    Stream<DynamicTest> convolutionsMatchTheReferenceOnTwelveWorkers() {
        return cases(manyWorkers).filter(test -> test.getDisplayName().startsWith("conv2d"));
    }

    private static Stream<DynamicTest> cases(CpuBackend backend) {
        long seed = ParitySeed.fresh();
        return ParityCases.all(seed).stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Comparison result = c.check(backend, REFERENCE);
            assertTrue(result.ok(), () -> c.name() + " (seed " + seed + "): " + result.summary());
        }));
    }
}
