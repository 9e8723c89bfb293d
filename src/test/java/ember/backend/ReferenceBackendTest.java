package ember.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ember.backend.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

/**
 * The oracle itself, on hand-computed cases: random parity tests only compare code with
 * code, so the reference must be pinned to arithmetic done by hand.
 */
class ReferenceBackendTest {
    private final ReferenceBackend backend = new ReferenceBackend();

    private Buffer of(float... values) {
        Buffer b = backend.allocate(values.length);
        backend.write(b, values);
        return b;
    }

    private float[] read(Buffer b) {
        float[] out = new float[b.length()];
        backend.read(b, out);
        return out;
    }

    @Test
    void gemmWithTransposes() {
        Buffer a = of(1, 2, 3, 4, 5, 6);      // 2x3
        Buffer bt = of(1, 0, 1, 0, 1, 1);     // stored 2x3, used transposed as 3x2
        Buffer c = of(10, 10, 10, 10);
        backend.gemm(false, true, 2, 2, 3, 1f, a, bt, 1f, c);
        // A·Bᵀ = [[1+3, 2+3], [4+6, 5+6]] = [[4, 5], [10, 11]], plus C.
        assertArrayEquals(new float[] {14, 15, 20, 21}, read(c));
        Buffer at = of(1, 4, 2, 5, 3, 6);     // A stored transposed (3x2)
        backend.gemm(true, true, 2, 2, 3, 2f, at, bt, 0f, c);
        assertArrayEquals(new float[] {8, 10, 20, 22}, read(c));
    }

    @Test
    void sgdFollowsPytorchMomentumAndWeightDecay() {
        Buffer p = of(1f), g = of(0.5f), v = of(0f), lr = of(0.1f);
        // step 1: g' = 0.5 + 0.1·1 = 0.6; v = 0.6; p = 1 − 0.1·0.6 = 0.94
        backend.sgdStep(p, g, v, lr, 0.9f, 0.1f);
        assertEquals(0.94f, read(p)[0], 1e-7);
        assertEquals(0.6f, read(v)[0], 1e-7);
        // step 2: g' = 0.5 + 0.094 = 0.594; v = 0.54 + 0.594 = 1.134; p = 0.94 − 0.1134 = 0.8266
        backend.sgdStep(p, g, v, lr, 0.9f, 0.1f);
        assertEquals(1.134f, read(v)[0], 1e-6);
        assertEquals(0.8266f, read(p)[0], 1e-6);
    }

    @Test
    void mseAndItsGradient() {
        Buffer pred = of(1, 2, 4), target = of(1, 0, 1), loss = backend.allocate(1), grad = backend.allocate(3);
        backend.mseLoss(pred, target, loss);
        assertEquals((0 + 4 + 9) / 3f, read(loss)[0], 1e-6);
        backend.mseBackward(pred, target, grad);
        assertArrayEquals(new float[] {0, 4 / 3f, 2}, read(grad), 1e-6f);
    }

    @Test
    void biasRowsAndActivations() {
        Buffer y = of(1, 2, 3, 4), bias = of(10, 20), grad = of(1, 1);
        backend.addBias(y, bias, 2, 2);
        assertArrayEquals(new float[] {11, 22, 13, 24}, read(y));
        backend.sumRows(y, grad, 2, 2);
        assertArrayEquals(new float[] {25, 47}, read(grad));
        Buffer x = of(-1, 0, 2), out = backend.allocate(3);
        backend.relu(x, out);
        assertArrayEquals(new float[] {0, 0, 2}, read(out));
        backend.reluBackward(x, of(5, 5, 5), out);
        assertArrayEquals(new float[] {0, 0, 5}, read(out));
    }

    @Test
    void gatherRejectsIndicesOutsideTheTable() {
        Buffer table = of(1, 2, 3, 4), out = backend.allocate(2);
        backend.gatherRows(table, of(1), out, 2);
        assertArrayEquals(new float[] {3, 4}, read(out));
        assertThrows(IndexOutOfBoundsException.class, () -> backend.gatherRows(table, of(2), out, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> backend.gatherRows(table, of(0.5f), out, 2));
    }
}
