package ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.backend.ConvShape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cuDNN planning that needs no GPU: the algorithm search's result struct as read from native
 * memory, the choice among results, and the descriptors each pass takes.
 */
class ConvPlanningTest {

    @Test
    void perfStructHasTheHeadersLayout() {
        // cudnnConvolutionFwdAlgoPerf_t in cuDNN 9.6, measured with offsetof/sizeof (docs/cudnn.md).
        assertEquals(48, ConvAlgorithms.PERF.byteSize());
        assertEquals(16, ConvAlgorithms.PERF.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("memory")));
        assertEquals(24, ConvAlgorithms.PERF.byteOffset(
                java.lang.foreign.MemoryLayout.PathElement.groupElement("determinism")));
        assertEquals(28, ConvAlgorithms.PERF.byteOffset(
                java.lang.foreign.MemoryLayout.PathElement.groupElement("mathType")));
    }

    @Test
    void resultsAreReadFromTheArrayCudnnFills() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = arena.allocate(ConvAlgorithms.PERF, 2);
            // As C would write them: {algo, status, time, (pad), memory, determinism, mathType, reserved[3], (pad)}.
            write(array, 0, 6, 0, 0.25f, 1L << 20, 1, 3);
            write(array, 1, 0, 3000, 9.5f, 5_000_000_000L, 0, 0);
            List<ConvAlgorithms.Result> results = ConvAlgorithms.read(array, 2);
            assertEquals(new ConvAlgorithms.Result(6, 0, 0.25f, 1L << 20, true, 3), results.get(0));
            assertEquals(new ConvAlgorithms.Result(0, 3000, 9.5f, 5_000_000_000L, false, 0), results.get(1));
        }
    }

    private static void write(MemorySegment array, int i, int algo, int status, float ms, long memory,
                              int determinism, int mathType) {
        long at = i * 48L;
        array.set(ValueLayout.JAVA_INT, at, algo);
        array.set(ValueLayout.JAVA_INT, at + 4, status);
        array.set(ValueLayout.JAVA_FLOAT, at + 8, ms);
        array.set(ValueLayout.JAVA_LONG, at + 16, memory);
        array.set(ValueLayout.JAVA_INT, at + 24, determinism);
        array.set(ValueLayout.JAVA_INT, at + 28, mathType);
    }

    @Test
    void choiceIsTheFastestThatSucceededFitsAndIsDeterministic() {
        var failed = new ConvAlgorithms.Result(1, 3000, 0.01f, 0, true, 0);
        var nondeterministic = new ConvAlgorithms.Result(0, 0, 0.02f, 0, false, 0);
        var tooBig = new ConvAlgorithms.Result(4, 0, 0.03f, 100L << 20, true, 0);
        var slowOk = new ConvAlgorithms.Result(7, 0, 0.09f, 1 << 10, true, 0);
        var fastOk = new ConvAlgorithms.Result(6, 0, 0.05f, 1 << 20, true, 1);
        // Not sorted on purpose: the choice must not rely on cuDNN's order.
        List<ConvAlgorithms.Result> results = List.of(slowOk, failed, nondeterministic, tooBig, fastOk);
        assertEquals(fastOk, ConvAlgorithms.choose(results, true, 64L << 20).orElseThrow());
        assertEquals(nondeterministic, ConvAlgorithms.choose(results, false, 64L << 20).orElseThrow());
        assertEquals(tooBig, ConvAlgorithms.choose(List.of(tooBig, slowOk), true, 128L << 20).orElseThrow());
        assertFalse(ConvAlgorithms.choose(List.of(failed, nondeterministic), true, 64L << 20).isPresent());
    }

    @Test
    void eachPassTakesItsOperandsInItsFunctionsOrder() {
        ConvShape down = new ConvShape(128, 16, 32, 32, 32, 3, 2, 1);
        var forward = ConvDescriptors.of(down, Cudnn.Pass.FORWARD);
        assertArrayEquals(new int[] {128, 16, 32, 32}, forward.a());
        assertFalse(forward.aIsFilter());
        assertArrayEquals(new int[] {32, 16, 3, 3}, forward.b());
        assertArrayEquals(new int[] {128, 32, 16, 16}, forward.out());
        assertEquals(128 * 32 * 16 * 16, forward.outLength());

        var data = ConvDescriptors.of(down, Cudnn.Pass.BACKWARD_DATA);
        assertTrue(data.aIsFilter());
        assertArrayEquals(new int[] {32, 16, 3, 3}, data.a());
        assertArrayEquals(new int[] {128, 32, 16, 16}, data.b());
        assertArrayEquals(new int[] {128, 16, 32, 32}, data.out());
        assertFalse(data.outIsFilter());

        var filter = ConvDescriptors.of(down, Cudnn.Pass.BACKWARD_FILTER);
        assertArrayEquals(new int[] {128, 16, 32, 32}, filter.a());
        assertArrayEquals(new int[] {128, 32, 16, 16}, filter.b());
        assertArrayEquals(new int[] {32, 16, 3, 3}, filter.out());
        assertTrue(filter.outIsFilter());
        assertEquals(32 * 16 * 9, filter.outLength());

        // The 1x1 stride-2 shortcut of option B, should a model use one.
        var shortcut = ConvDescriptors.of(new ConvShape(16, 16, 32, 32, 32, 1, 2, 0), Cudnn.Pass.FORWARD);
        assertArrayEquals(new int[] {16, 32, 16, 16}, shortcut.out());
    }

    @Test
    void alignmentIsSixteenBytes() {
        assertTrue(CudnnConvolutions.aligned(0x7f0000000100L));
        assertFalse(CudnnConvolutions.aligned(0x7f0000000104L));
    }
}
