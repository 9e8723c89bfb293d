package ember.exp2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ScheduleTest {
    @Test
    void labScheduleIsTheReferences() {
        Schedule lab = Schedule.lab(10);
        assertEquals(10, lab.epochs());
        assertEquals(0.1f, lab.lr(1));
        assertEquals(0.1f, lab.lr(5));
        assertEquals(0.01f, lab.lr(6));
        assertEquals(0.01f, lab.lr(10));
        assertEquals("0.1x5,0.01x5", lab.toString());
        assertEquals("0.1x1", Schedule.lab(1).toString());
    }

    @Test
    void parsesAndPrintsPhases() {
        Schedule s = Schedule.parse("0.05x2, 0.005X3");
        assertEquals(5, s.epochs());
        assertEquals(0.05f, s.lr(2));
        assertEquals(0.005f, s.lr(3));
        assertEquals(s, Schedule.parse(s.toString()));
        assertThrows(IllegalArgumentException.class, () -> s.lr(6));
    }

    @Test
    void badPhasesAreNamed() {
        for (String bad : new String[] {"0.1", "0.1x0", "-1x5", "fastx5", "0.1x5,,0.01x5", "NaNx2"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Schedule.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("bad --schedule phase"), e.getMessage());
        }
    }
}
