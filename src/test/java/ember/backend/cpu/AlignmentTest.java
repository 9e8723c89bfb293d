package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class AlignmentTest {
    @Test
    void leadReachesTheNextLineFromTheArraysFirstValue() {
        assertEquals(12, Alignment.lead(64, 16), "16-byte header: 48 bytes to the line");
        assertEquals(13, Alignment.lead(64, 12), "12-byte header (compact object headers)");
        assertEquals(0, Alignment.lead(64, 64));
        assertEquals(12, Alignment.lead(128, 16), "any multiple of a line will do");
    }

    @Test
    void noLeadWhereObjectsAreNotOnLines() {
        assertEquals(0, Alignment.lead(8, 16));
        assertEquals(0, Alignment.lead(32, 16));
        assertEquals(0, Alignment.lead(0, 16), "alignment unknown");
    }

    @Test
    void thisJvmsLeadFollowsItsFlag() {
        boolean aligned = ManagementFactory.getRuntimeMXBean().getInputArguments()
                .contains("-XX:ObjectAlignmentInBytes=64");
        assertEquals(aligned ? Alignment.lead(64, sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET) : 0, Alignment.LEAD);
        if (aligned) {
            assertEquals(0, (sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET + 4 * Alignment.LEAD) % 64);
        }
    }
}
