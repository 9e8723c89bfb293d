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
            float[] affine = uniform(random, 3 * s.inChannels());
            float[][] one = run(CpuBackend.javaOnly(1), s, x, w, dy, affine);
            float[][] two = run(CpuBackend.javaOnly(2), s, x, w, dy, affine);
            String[] names = {"y", "dx", "dw", "y's plane sums", "y through a normalisation",
                "dx through a normalisation", "dw through a normalisation", "dx's batch-norm sums"};
            for (int i = 0; i < names.length; i++) {
                assertArrayEquals(one[i], two[i], names[i] + " of " + s);
            }
        }
    }

    /**
     * What the test above catches only when the schedule happens to give a worker a part-filled
     * group after a different full one: the part-filled group must give the same bits whatever
     * images a worker's earlier group left in the slots it does not fill (a tile that holds an
     * image's last columns reads the next slot's first column).
     */
    @Test
    void aPartFilledGroupIgnoresTheImagesAnEarlierGroupLeft() {
        int inC = 3, outC = 4, h = 16, w = 16, group = Winograd3x3.group(h, w), images = group - 2;
        SplittableRandom random = new SplittableRandom(7);
        float[] x = uniform(random, images * inC * h * w), other = uniform(random, group * inC * h * w);
        float[] packed = new float[Winograd3x3.POINTS * outC * inC];
        Winograd3x3.transformWeights(uniform(random, outC * inC * 9), 0, outC, inC, false, packed, 0, outC);
        float[] planes = new float[Winograd3x3.planesSize(h, w)], pass = new float[Winograd3x3.passSize(h, w)];
        float[] transformed = new float[Winograd3x3.transformedSize(inC, h, w)];
        float[] products = new float[Winograd3x3.transformedSize(outC, h, w)];
        float[] blocks = new float[Winograd3x3.blocksSize(h, w)];
        float[] clean = new float[images * outC * h * w], afterOthers = new float[clean.length];
        Winograd3x3.convolve(inC, outC, h, w, x, 0, images, null, packed, planes, transformed, products, blocks, pass,
                clean, 0, null, 0, null);
        Winograd3x3.clearPlanes(planes, h, w);
        Winograd3x3.transformGroup(inC, h, w, other, 0, group, null, planes, pass, transformed);
        Winograd3x3.convolve(inC, outC, h, w, x, 0, images, null, packed, planes, transformed, products, blocks, pass,
                afterOthers, 0, null, 0, null);
        assertArrayEquals(clean, afterOthers);
    }

    /**
     * y with its plane sums, then dx and dw from the fused backward, and the same with x read
     * through relu(x·scale + shift) with the batch norm's sums of that dx (scale, shift and the
     * mean one after another in affine), on a fresh backend.
     */
    private static float[][] run(CpuBackend cpu, ConvShape s, float[] x, float[] w, float[] dy, float[] affine) {
        int c = s.inChannels();
        try (cpu; Buffer xb = upload(cpu, x); Buffer wb = upload(cpu, w); Buffer dyb = upload(cpu, dy);
             Buffer scale = upload(cpu, java.util.Arrays.copyOf(affine, c));
             Buffer shift = upload(cpu, java.util.Arrays.copyOfRange(affine, c, 2 * c));
             Buffer mean = upload(cpu, java.util.Arrays.copyOfRange(affine, 2 * c, 3 * c));
             Buffer y = cpu.allocate(s.outputSize()); Buffer sums = cpu.allocate(2 * s.batch() * s.outChannels());
             Buffer dx = cpu.allocate(x.length); Buffer dw = cpu.allocate(w.length);
             Buffer yn = cpu.allocate(s.outputSize()); Buffer dxn = cpu.allocate(x.length);
             Buffer dwn = cpu.allocate(w.length)) {
            cpu.conv2d(s, xb, wb, y, sums);
            cpu.conv2dBackward(s, xb, dyb, wb, null, false, dx, dw);
            cpu.conv2d(s, xb, scale, shift, wb, yn, null);
            float[] normSums = new float[2 * s.batch() * c];
            cpu.conv2dBackward(s, xb, scale, shift, mean, dyb, wb, dxn, dwn, normSums);
            return new float[][] {read(cpu, y), read(cpu, dx), read(cpu, dw), read(cpu, sums), read(cpu, yn),
                read(cpu, dxn), read(cpu, dwn), normSums};
        }
    }

    private static Buffer upload(CpuBackend cpu, float[] values) {
        Buffer b = cpu.allocate(values.length);
        cpu.write(b, values);
        return b;
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
