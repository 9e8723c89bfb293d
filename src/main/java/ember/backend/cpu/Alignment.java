package ember.backend.cpu;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Where a heap float[]'s 64-byte cache lines begin, so that whole vectors can be kept within
 * one line. A vector that straddles two lines costs about twice one that does not, and a store
 * that also misses L1 more: Winograd's input transform (a probe, 512-bit vectors) took 4.4–4.7
 * ns per vector against 6.0–6.8 within L1, and 8.6–9.3 against 16.9–17.1 into an L2-sized
 * array (docs/exp2.md). By default the JVM starts objects 8 bytes apart, so where an array's
 * lines begin is unknown; with -XX:ObjectAlignmentInBytes=64 every object starts on a line and
 * its values a fixed header's length after it. {@link #LEAD} floats from there, they are on a
 * line again; the backend's buffers and Winograd's scratch start that far into their arrays.
 */
final class Alignment {
    private Alignment() {}

    static final int LINE_BYTES = 64;

    private static final int OBJECT_ALIGNMENT = objectAlignment();

    /** Floats from an array's first value to its first on a line boundary, or 0 where that is unknown. */
    static final int LEAD = lead(OBJECT_ALIGNMENT, arrayBaseOffset());

    /** The lead for objects aligned to objectAlignment bytes whose float values start baseOffset bytes in. */
    static int lead(int objectAlignment, int baseOffset) {
        if (objectAlignment <= 0 || objectAlignment % LINE_BYTES != 0) {
            return 0;
        }
        return (LINE_BYTES - baseOffset % LINE_BYTES) % LINE_BYTES / Float.BYTES;
    }

    /** For the backend's description. */
    static String describe() {
        if (OBJECT_ALIGNMENT > 0 && OBJECT_ALIGNMENT % LINE_BYTES == 0) {
            return "arrays on 64-byte lines";
        }
        return "arrays " + (OBJECT_ALIGNMENT > 0 ? OBJECT_ALIGNMENT + "-byte aligned" : "of unknown alignment")
                + ", so vectors may straddle cache lines (-XX:ObjectAlignmentInBytes=64 avoids that)";
    }

    /** The JVM's ObjectAlignmentInBytes, or 0 where this JVM does not say (not HotSpot, or no jdk.management). */
    private static int objectAlignment() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return vm == null ? 0 : Integer.parseInt(vm.getVMOption("ObjectAlignmentInBytes").getValue());
        } catch (RuntimeException | LinkageError e) {
            return 0;
        }
    }

    /** Bytes from a float[]'s start to its first value. */
    @SuppressWarnings("removal")
    private static int arrayBaseOffset() {
        return sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET;
    }
}
