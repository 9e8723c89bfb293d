package ember.testing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The comparator every parity test relies on: it must fail when it should. */
class NearTest {
    private static final Tolerances.Tolerance TOL = new Tolerances.Tolerance(1e-3, 1e-2);

    @Test
    void boundaryIsAtolPlusRtolTimesExpected() {
        assertTrue(Near.close(100 + 1.0009, 100, TOL));   // 1e-3 + 1e-2·100 = 1.001
        assertFalse(Near.close(100 + 1.0011, 100, TOL));
        assertTrue(Near.close(0.0009, 0, TOL));
        assertFalse(Near.close(0.0011, 0, TOL));
    }

    @Test
    void nonFiniteValuesMatchOnlyThemselves() {
        assertFalse(Near.close(Double.NaN, 1, TOL));
        assertTrue(Near.close(Double.NaN, Double.NaN, TOL));
        assertFalse(Near.close(1, Double.NaN, TOL));
        assertTrue(Near.close(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, TOL));
        assertFalse(Near.close(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, TOL));
    }

    @Test
    void assertCloseNamesTheFirstMismatch() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Near.assertClose("op", new double[] {1, 2, 9}, new double[] {1, 2, 3}, TOL));
        assertTrue(e.getMessage().contains("[2] got 9.0, expected 3.0"), e.getMessage());
        assertThrows(AssertionError.class, () -> Near.assertClose("op", new double[] {1}, new double[] {1, 2}, TOL));
        assertDoesNotThrow(() -> Near.assertClose("op", new double[] {1, 2}, new double[] {1, 2}, TOL));
    }
}
