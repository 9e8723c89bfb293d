package ember.backend.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The comparator decides every parity verdict, so it gets its own hand-computed cases. */
class ComparisonTest {
    private static final Tolerance T = new Tolerance(1e-3, 1e-2);

    @Test
    void boundIsAbsolutePlusRelative() {
        assertTrue(T.accepts(10, 10 + 0.1 + 1e-3 - 1e-9));
        assertFalse(T.accepts(10, 10 + 0.1 + 1e-3 + 1e-6));
        assertTrue(T.accepts(0, 1e-3));
        assertFalse(T.accepts(0, 2e-3));
        assertTrue(T.accepts(-10, -10.1));
    }

    @Test
    void nonFiniteValuesMustMatchExactly() {
        assertTrue(T.accepts(Double.NaN, Double.NaN));
        assertFalse(T.accepts(1, Double.NaN));
        assertFalse(T.accepts(Double.NaN, 1));
        assertTrue(T.accepts(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY));
        assertFalse(T.accepts(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
        assertFalse(T.accepts(1e30, Double.POSITIVE_INFINITY));
    }

    @Test
    void reportsCountMaxErrorAndFirstMismatches() {
        float[] ref = {1, 2, 3, 4, 5, 6, 7, 8};
        float[] got = {1, 2.5f, 3, 4, 9, 6, 7, 8};
        Comparison c = Comparison.of(ref, got, T);
        assertEquals(2, c.mismatches());
        assertEquals(4.0, c.maxError(), 1e-12);
        assertTrue(c.summary().startsWith("2 of 8 differ: [1] ref 2"), c.summary());
        assertTrue(c.summary().contains("[4] ref 5"), c.summary());
    }

    @Test
    void showsAtMostFiveMismatches() {
        float[] ref = new float[20];
        float[] got = new float[20];
        java.util.Arrays.fill(got, 1);
        Comparison c = Comparison.of(ref, got, T);
        assertEquals(20, c.mismatches());
        assertEquals(Comparison.SHOWN, c.firstMismatches().size());
    }

    @Test
    void lengthMismatchFails() {
        assertFalse(Comparison.of(new float[3], new float[2], T).ok());
    }

    @Test
    void negativeToleranceIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Tolerance(-1, 0));
    }
}
