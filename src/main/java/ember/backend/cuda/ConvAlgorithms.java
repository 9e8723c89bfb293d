package ember.backend.cuda;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What cuDNN's algorithm search (cudnnFind…AlgorithmEx) reports, and which result a plan takes.
 * The three passes report the same struct (cudnnConvolutionFwdAlgoPerf_t and its BwdData and
 * BwdFilter twins in cudnn_cnn.h): algo, status, time in ms, workspace bytes, determinism, math
 * type, three reserved ints. Its layout below was checked against the cuDNN 9.6 headers with a C
 * compiler: 48 bytes, memory at 16, determinism at 24 (docs/cudnn.md).
 */
final class ConvAlgorithms {
    private ConvAlgorithms() {}

    static final StructLayout PERF = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("algo"),
            ValueLayout.JAVA_INT.withName("status"),
            ValueLayout.JAVA_FLOAT.withName("time"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("memory"),
            ValueLayout.JAVA_INT.withName("determinism"),
            ValueLayout.JAVA_INT.withName("mathType"),
            MemoryLayout.sequenceLayout(3, ValueLayout.JAVA_INT).withName("reserved"),
            MemoryLayout.paddingLayout(4));

    /** cudnnDeterminism_t's CUDNN_DETERMINISTIC. */
    static final int DETERMINISTIC = 1;

    /** One search result. */
    record Result(int algo, int status, float milliseconds, long workspaceBytes, boolean deterministic,
                  int mathType) {
        boolean succeeded() {
            return status == 0;
        }

        @Override
        public String toString() {
            return "algo " + algo + " (" + (succeeded() ? String.format(java.util.Locale.ROOT, "%.3f ms", milliseconds)
                    : "status " + status) + ", " + workspaceBytes + " B workspace, "
                    + (deterministic ? "deterministic" : "non-deterministic") + ", math type " + mathType + ")";
        }
    }

    /** The first {@code count} results of the array cuDNN filled, in its order (fastest first). */
    static List<Result> read(MemorySegment array, int count) {
        List<Result> results = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            MemorySegment r = array.asSlice(i * PERF.byteSize(), PERF.byteSize());
            results.add(new Result(
                    r.get(ValueLayout.JAVA_INT, PERF.byteOffset(MemoryLayout.PathElement.groupElement("algo"))),
                    r.get(ValueLayout.JAVA_INT, PERF.byteOffset(MemoryLayout.PathElement.groupElement("status"))),
                    r.get(ValueLayout.JAVA_FLOAT, PERF.byteOffset(MemoryLayout.PathElement.groupElement("time"))),
                    r.get(ValueLayout.JAVA_LONG, PERF.byteOffset(MemoryLayout.PathElement.groupElement("memory"))),
                    r.get(ValueLayout.JAVA_INT,
                            PERF.byteOffset(MemoryLayout.PathElement.groupElement("determinism"))) == DETERMINISTIC,
                    r.get(ValueLayout.JAVA_INT, PERF.byteOffset(MemoryLayout.PathElement.groupElement("mathType")))));
        }
        return results;
    }

    /**
     * The fastest result that succeeded, fits {@code workspaceLimit} bytes and, when
     * {@code deterministic}, is deterministic. cuDNN sorts by time, but we do not rely on it.
     */
    static Optional<Result> choose(List<Result> results, boolean deterministic, long workspaceLimit) {
        return results.stream()
                .filter(Result::succeeded)
                .filter(r -> r.deterministic() || !deterministic)
                .filter(r -> r.workspaceBytes() <= workspaceLimit)
                .min(java.util.Comparator.comparingDouble(Result::milliseconds));
    }
}
