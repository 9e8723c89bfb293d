package ember.exp2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.io.Safetensors.Tensor;
import ember.io.TorchSave;
import ember.nn.ParamSpec;
import ember.nn.ResNet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights from a .pth: ResNet20's tensors exactly, and every missing, extra or mis-shaped one named. */
class CheckpointTest {
    private static final ResNet.Config RESNET20 = ResNet.Config.resnet20();

    @TempDir
    Path dir;

    private static Map<String, Tensor> resnet20Tensors() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (ParamSpec spec : RESNET20.paramSpecs()) {
            tensors.put(spec.name(), new Tensor(spec.shape(), new float[spec.size()]));
        }
        for (ParamSpec spec : RESNET20.stateSpecs()) {
            tensors.put(spec.name(), new Tensor(spec.shape(), new float[spec.size()]));
        }
        return tensors;
    }

    private Path pth(Map<String, Tensor> tensors) throws IOException {
        Path file = dir.resolve("pretrain_model.pth");
        TorchSave.writeStateDict(file, tensors, Map.of("epoch", 5));
        return file;
    }

    @Test
    void aLabPthGivesTheWeightsAndNoTrainingState() throws IOException {
        Map<String, Tensor> tensors = resnet20Tensors();
        tensors.get("linear.bias").data()[3] = 0.25f;
        Checkpoint.Contents read = Checkpoint.read(pth(tensors), RESNET20);
        assertEquals(0.25f, read.parameters().get("linear.bias")[3]);
        assertEquals(null, read.progress());
        assertEquals(null, read.momentum());
    }

    @Test
    void aMissingTensorIsNamed() throws IOException {
        Map<String, Tensor> tensors = resnet20Tensors();
        tensors.remove("layer2.0.shortcut.0.weight");
        Path file = pth(tensors);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(file, RESNET20));
        assertTrue(e.getMessage().contains("layer2.0.shortcut.0.weight is missing"), e.getMessage());
    }

    @Test
    void anExtraTensorIsNamed() throws IOException {
        Map<String, Tensor> tensors = resnet20Tensors();
        tensors.put("fc.weight", new Tensor(new int[] {10, 64}, new float[640]));
        Path file = pth(tensors);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(file, RESNET20));
        assertTrue(e.getMessage().contains("[fc.weight] are not ResNet20's"), e.getMessage());
    }

    @Test
    void aMisshapedTensorIsNamedWithBothShapes() throws IOException {
        Map<String, Tensor> tensors = resnet20Tensors();
        tensors.put("linear.weight", new Tensor(new int[] {100, 64}, new float[6400]));
        Path file = pth(tensors);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(file, RESNET20));
        assertTrue(e.getMessage().contains("linear.weight is F32[100, 64], the model needs F32[10, 64]"),
                e.getMessage());
    }
}
