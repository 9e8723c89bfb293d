package ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ember.backend.Buffer;
import ember.backend.ConvShape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Workers take groups of images in whatever order they free up, yet a convolution's results
 * must not depend on it (resuming a run repeats it exactly): one worker and two give the same
 * bits. Summing the weight gradient per worker, as the CPU backend once did, fails this.
 */
class ScheduleIndependenceTest {
    @Test
    void convolutionsGiveTheSameBitsOnOneWorkerAndOnTwo() {
        SplittableRandom random = new SplittableRandom(5);
        // Several Winograd groups per worker, the last part-filled; and a stride-2 (im2col) shape.
        for (ConvShape s : new ConvShape[] {new ConvShape(22, 3, 16, 16, 5, 3, 1, 1),
            new ConvShape(9, 4, 8, 8, 6, 3, 2, 1)}) {
            float[] x = uniform(random, s.inputSize()), w = uniform(random, s.weightSize());
            float[] dy = uniform(random, s.outputSize());
            float[][] one = run(CpuBackend.javaOnly(1), s, x, w, dy), two = run(CpuBackend.javaOnly(2), s, x, w, dy);
            String[] names = {"y", "dx", "dw"};
            for (int i = 0; i < names.length; i++) {
                assertArrayEquals(one[i], two[i], names[i] + " of " + s);
            }
        }
    }

    /** y, then dx and dw from the fused backward, on a fresh backend. */
    private static float[][] run(CpuBackend cpu, ConvShape s, float[] x, float[] w, float[] dy) {
        try (cpu; Buffer xb = cpu.allocate(x.length); Buffer wb = cpu.allocate(w.length);
             Buffer dyb = cpu.allocate(dy.length); Buffer y = cpu.allocate(s.outputSize());
             Buffer dx = cpu.allocate(x.length); Buffer dw = cpu.allocate(w.length)) {
            cpu.write(xb, x);
            cpu.write(wb, w);
            cpu.write(dyb, dy);
            cpu.conv2d(s, xb, wb, y);
            cpu.conv2dBackward(s, xb, dyb, wb, null, false, dx, dw);
            return new float[][] {read(cpu, y), read(cpu, dx), read(cpu, dw)};
        }
    }

    private static float[] read(CpuBackend cpu, Buffer b) {
        float[] v = new float[b.length()];
        cpu.read(b, v);
        return v;
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (2 * random.nextDouble() - 1);
        }
        return v;
    }
}
