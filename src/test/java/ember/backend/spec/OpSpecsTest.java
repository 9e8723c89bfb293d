package ember.backend.spec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.backend.ChannelShape;
import ember.backend.ConvShape;
import ember.backend.parity.Tolerances;
import ember.backend.reference.ReferenceBackend;
import ember.nn.ParamSpec;
import ember.nn.ResNet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The specs' FLOP and byte counts against hand-computed values, and the catalogue's shape. */
class OpSpecsTest {

    @Test
    void gemmCountsTwoFlopsPerMultiplyAddAndReadsCOnlyWhenItAccumulates() {
        OpSpec overwrite = OpSpecs.gemm(false, false, 64, 2048, 576, 1f, 0f);
        assertEquals(150_994_944L, overwrite.flops()); // 2·64·2048·576
        assertEquals(4L * (36_864 + 1_179_648 + 131_072), overwrite.bytes()); // A 64·576, B 576·2048, C written
        OpSpec accumulate = OpSpecs.gemm(true, false, 64, 2048, 576, 0.5f, 1f);
        assertEquals(overwrite.bytes() + 4L * 131_072, accumulate.bytes()); // C read as well
        assertEquals("gemm 64x2048x576 A^T alpha=0.5 beta=1.0", accumulate.name());
    }

    @Test
    void convolutionsCountAsDirectConvolution() {
        ConvShape stage1 = new ConvShape(128, 16, 32, 32, 16, 3, 1, 1);
        OpSpec forward = OpSpecs.conv2d(stage1);
        assertEquals(603_979_776L, forward.flops()); // 2 · (128·16·32·32 outputs) · (16·9 taps)
        assertEquals(4L * (2_097_152 + 2_304 + 2_097_152), forward.bytes());
        assertEquals("conv2d 128x16x32x32>16 k3 s1", forward.name());
        assertEquals(forward.flops(), OpSpecs.conv2dBackwardData(stage1).flops());
        assertEquals(4L * (2_097_152 + 2_097_152 + 2 * 2_304), OpSpecs.conv2dBackwardFilter(stage1).bytes());

        OpSpec shortcut = OpSpecs.conv2d(new ConvShape(128, 16, 32, 32, 32, 1, 2, 0));
        assertEquals(33_554_432L, shortcut.flops()); // 2 · (128·32·16·16) · 16
        assertEquals("conv2d 128x16x32x32>32 k1 s2", shortcut.name());
    }

    @Test
    void batchNormSgdAndCopyCountPerValue() {
        ChannelShape s = new ChannelShape(128, 16, 1024);
        assertEquals(5L * 2_097_152, OpSpecs.batchNormTraining(s).flops());
        assertEquals(4L * (2 * 2_097_152 + 8 * 16), OpSpecs.batchNormTraining(s).bytes());
        assertEquals(9L * 2_097_152, OpSpecs.batchNormBackward(s).flops());
        assertEquals(4L * (3 * 2_097_152 + 7 * 16), OpSpecs.batchNormBackward(s).bytes());
        OpSpec sgd = OpSpecs.sgdStep(272_474, 0.9f, 5e-4f);
        assertEquals(6L * 272_474, sgd.flops());
        assertEquals(4L * (5 * 272_474 + 1), sgd.bytes()); // p, v read and written, g read, the learning rate
        assertEquals(4L * 272_474, OpSpecs.sgdStep(272_474, 0f, 0f).flops() * 2);
        OpSpec copy = OpSpecs.copy(16 << 20);
        assertEquals("copy 64 MiB", copy.name());
        assertEquals(0, copy.flops());
        assertEquals(128L << 20, copy.bytes());
    }

    @Test
    void resnet20ParametersAreTheModels() {
        long parameters = 0;
        for (ParamSpec p : ResNet.Config.resnet20().paramSpecs()) {
            long size = 1;
            for (int d : p.shape()) {
                size *= d;
            }
            parameters += size;
        }
        assertEquals(parameters, OpSpecs.RESNET20_PARAMETERS);
    }

    @Test
    void catalogueNamesAreUniqueAndEveryOpHasAParityTolerance() {
        List<OpSpec> catalogue = OpSpecs.catalogue();
        Set<String> names = new HashSet<>();
        for (OpSpec spec : catalogue) {
            assertTrue(names.add(spec.name()), "duplicate " + spec.name());
            Tolerances.forOp(spec.op());
            assertEquals(spec.flops(), OpSpecs.named(spec.name()).flops());
        }
        // 8 convolutions × 3 passes less the stem's input gradient, 3 × 2 batch norms, ReLU, add,
        // 2 poolings, the classifier, the loss, SGD; 3 training GEMMs; 2 GEMM peaks and a copy.
        assertEquals(23 + 6 + 7, OpSpecs.resnet20(128).size());
        assertEquals(36 + 3 + 3, catalogue.size());
        assertThrows(IllegalArgumentException.class, () -> OpSpecs.named("conv2d 1x1x1x1>1 k1 s1"));
        assertThrows(IllegalArgumentException.class, () -> Tolerances.forOp("softmax"));
    }

    @Test
    void theSameSeedGivesTheSameInputsAndTheOpRuns() {
        OpSpec spec = OpSpecs.add(5);
        try (ReferenceBackend reference = new ReferenceBackend();
             OpRun first = spec.prepare(reference, 7); OpRun second = spec.prepare(reference, 7);
             OpRun other = spec.prepare(reference, 8)) {
            float[] start = first.output(); // not run yet: y holds its random start
            first.run();
            assertTrue(first.output()[0] != start[0], "the op overwrote y");
            second.runAndWait();
            other.run();
            assertArrayEquals(first.output(), second.output());
            assertTrue(first.output()[0] != other.output()[0]);
        }
    }
}
