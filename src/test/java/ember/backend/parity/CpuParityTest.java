package ember.backend.parity;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.backend.cpu.CpuBackend;
import ember.backend.reference.ReferenceBackend;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The shared parity cases on the CPU backend: proves the cases and tolerances hold where no GPU is. */
class CpuParityTest {
    private static CpuBackend cpu;
    private static final ReferenceBackend REFERENCE = new ReferenceBackend();

    @BeforeAll
    static void open() {
        cpu = CpuBackend.withBlasIfPresent(2);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @TestFactory
    Stream<DynamicTest> everyOpMatchesTheReference() {
        long seed = ParitySeed.fresh();
        return ParityCases.all(seed).stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Comparison result = c.check(cpu, REFERENCE);
            assertTrue(result.ok(), () -> c.name() + " (seed " + seed + "): " + result.summary());
        }));
    }
}
