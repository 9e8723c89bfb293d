package ember.exp2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.io.Safetensors;
import ember.io.Safetensors.Tensor;
import ember.io.TorchSave;
import ember.nn.ParamSpec;
import ember.nn.ResNet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints carry their run and are refused when edited; weights from a .pth: ResNet20's tensors
 * exactly, and every missing, extra or mis-shaped one named.
 */
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

    private static final Checkpoint.Run RUN = new Checkpoint.Run("resnet20", "d1g35t", 1024, 500, 64, 7,
            Schedule.parse("0.1x1,0.01x1"));

    private Path checkpoint() throws IOException {
        Map<String, Tensor> tensors = resnet20Tensors();
        tensors.put(Checkpoint.MOMENTUM, new Tensor(new int[] {3}, new float[3]));
        Path file = dir.resolve("epoch-01.safetensors");
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(Checkpoint.EPOCHS_DONE, "1");
        metadata.put(Checkpoint.MODEL, RUN.model());
        metadata.put(Checkpoint.DATASET, RUN.dataset());
        metadata.put(Checkpoint.TRAIN_IMAGES, "1024");
        metadata.put(Checkpoint.TEST_IMAGES, "500");
        metadata.put(Checkpoint.BATCH, "64");
        metadata.put(Checkpoint.SEED, "7");
        metadata.put(Checkpoint.SCHEDULE, RUN.schedule().toString());
        Safetensors.write(file, tensors, metadata);
        return file;
    }

    @Test
    void aCheckpointCarriesTheRunThatDefinesIt() throws IOException {
        Checkpoint.Progress progress = Checkpoint.read(checkpoint(), RESNET20).progress();
        assertEquals(RUN, progress.run());
        assertEquals(1, progress.epochsDone());
    }

    /** Seed, batch and epochs done edited by hand, each to a valid value: the checksum refuses every one. */
    @Test
    void handEditedTrainingStateIsRefused() throws IOException {
        byte[] intact = Files.readAllBytes(checkpoint());
        String text = new String(intact, StandardCharsets.ISO_8859_1);
        for (String[] edit : new String[][] {{"\"ember.exp2.seed\":\"7\"", "\"ember.exp2.seed\":\"8\""},
                {"\"ember.exp2.batch\":\"64\"", "\"ember.exp2.batch\":\"32\""},
                {"\"ember.exp2.epochs_done\":\"1\"", "\"ember.exp2.epochs_done\":\"2\""}}) {
            assertTrue(text.contains(edit[0]), edit[0]);
            Path file = dir.resolve("edited.safetensors");
            Files.write(file, text.replace(edit[0], edit[1]).getBytes(StandardCharsets.ISO_8859_1));
            IOException e = assertThrows(IOException.class, () -> Checkpoint.read(file, RESNET20));
            assertTrue(e.getMessage().contains("do not match the checksum"), edit[1] + ": " + e.getMessage());
        }
    }

    /** A checkpoint written without ember's checksum (by hand, or another tool) gives no training state to trust. */
    @Test
    void aCheckpointWithoutChecksumIsRefused() throws IOException {
        String text = new String(Files.readAllBytes(checkpoint()), StandardCharsets.ISO_8859_1);
        String stripped = text.replaceAll("\"ember\\.sha256\":\"[0-9a-f]{64}\"", "\"ember.unsum1\":\"" + "0".repeat(64) + "\"");
        Path file = dir.resolve("unsummed.safetensors");
        Files.write(file, stripped.getBytes(StandardCharsets.ISO_8859_1));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(file, RESNET20));
        assertTrue(e.getMessage().contains(file + ": checkpoint has no checksum"), e.getMessage());
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
