package ember.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ember.io.Safetensors.DType;
import ember.io.Safetensors.Tensor;
import ember.testing.TorchPython;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** torch.save's files, read and written here and checked against real PyTorch where it is installed. */
class TorchSaveTest {
    @TempDir
    Path dir;

    /** A small state dict of every shape kind a model has: 4-D, 2-D, 1-D, and an int64 scalar counter. */
    private static Map<String, Tensor> stateDict(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("conv1.weight", new Tensor(new int[] {4, 3, 3, 3}, values(random, 108)));
        tensors.put("bn1.weight", new Tensor(new int[] {4}, values(random, 4)));
        tensors.put("bn1.num_batches_tracked", new Tensor(DType.I64, new int[] {}, new float[] {390}));
        tensors.put("linear.weight", new Tensor(new int[] {10, 4}, values(random, 40)));
        return tensors;
    }

    private static float[] values(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static void assertSameTensors(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, t) -> {
            assertArrayEquals(t.shape(), actual.get(name).shape(), name);
            assertEquals(t.dtype(), actual.get(name).dtype(), name);
            assertArrayEquals(t.data(), actual.get(name).data(), name);
        });
    }

    @Test
    void whatIsWrittenReadsBackWithTheLabsKeys() throws IOException {
        Path file = dir.resolve("final.pth");
        Map<String, Tensor> tensors = stateDict(1);
        TorchSave.writeStateDict(file, tensors, Map.of("acc", 0.8116, "epoch", 10));
        Safetensors.Contents read = WeightFiles.read(file);
        assertSameTensors(tensors, read.tensors());
        assertEquals(Map.of("acc", "0.8116", "epoch", "10"), read.metadata());
    }

    /** A zip like torch.save's whose data.pkl is this pickle. */
    private Path withPickle(String name, byte[] pickle) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(pickle);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("archive/version"));
            zip.write("3\n".getBytes(StandardCharsets.US_ASCII));
            zip.closeEntry();
        }
        return file;
    }

    @Test
    void aPickleThatNamesAnyOtherGlobalIsRefusedByName() throws IOException {
        // pickle.dumps of os.system('echo hi') as a reduce: protocol 2, GLOBAL 'os system', ('echo hi',), REDUCE.
        byte[] pickle = "\u0080\u0002cos\nsystem\nq\u0000X\u0007\u0000\u0000\u0000echo hiq\u0001\u0085q\u0002Rq\u0003."
                .getBytes(StandardCharsets.ISO_8859_1);
        Path file = withPickle("evil.pth", pickle);
        IOException e = assertThrows(IOException.class, () -> WeightFiles.read(file));
        assertTrue(e.getMessage().startsWith(file + ": refused: the pickle asks for the Python global os.system"),
                e.getMessage());
    }

    @Test
    void aWholeModelIsRefusedWithWhatToSaveInstead() throws IOException {
        // torch.save(model): the pickle rebuilds __main__.ResNet20 by class.
        byte[] pickle = "\u0080\u0002c__main__\nResNet20\nq\u0000)\u0081q\u0001.".getBytes(StandardCharsets.ISO_8859_1);
        IOException e = assertThrows(IOException.class, () -> WeightFiles.read(withPickle("model.pth", pickle)));
        assertTrue(e.getMessage().contains("__main__.ResNet20") && e.getMessage().contains("model.state_dict()"),
                e.getMessage());
    }

    @Test
    void theLegacyFormatIsRefusedWithTheRemedy() throws IOException {
        Path file = dir.resolve("old.pth");
        // What torch.save(..., _use_new_zipfile_serialization=False) starts with: protocol 2, then its magic number.
        Files.write(file, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46});
        IOException e = assertThrows(IOException.class, () -> WeightFiles.read(file));
        assertTrue(e.getMessage().contains("legacy format") && e.getMessage().contains("save it again"), e.getMessage());
    }

    @Test
    void aZipWithoutDataPklIsNotATorchFile() throws IOException {
        Path file = dir.resolve("other.zip");
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("readme.txt"));
            zip.closeEntry();
        }
        IOException e = assertThrows(IOException.class, () -> WeightFiles.read(file));
        assertTrue(e.getMessage().contains("without <folder>/data.pkl"), e.getMessage());
    }

    @Test
    void pytorchLoadsWhatIsWrittenWithWeightsOnly() throws Exception {
        TorchPython.assumePresent();
        Map<String, Tensor> tensors = stateDict(2);
        Path pth = dir.resolve("final.pth"), safetensors = dir.resolve("final.safetensors");
        TorchSave.writeStateDict(pth, tensors, Map.of("acc", 0.5, "epoch", 3));
        Safetensors.write(safetensors, tensors, Map.of());
        String out = TorchPython.run("state_dict_io.py", "check", pth.toString(), safetensors.toString());
        assertTrue(out.contains("\"ok\": true") && out.contains("\"acc\": 0.5") && out.contains("\"epoch\": 3"), out);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lab", "bare", "state_dict", "dataparallel", "float64", "view"})
    void whatPytorchSavesIsRead(String layout) throws Exception {
        TorchPython.assumePresent();
        Map<String, Tensor> tensors = stateDict(3);
        Path pth = dir.resolve(layout + ".pth"), safetensors = dir.resolve("source.safetensors");
        Safetensors.write(safetensors, tensors, Map.of());
        TorchPython.run("state_dict_io.py", "save", safetensors.toString(), pth.toString(), layout);
        Safetensors.Contents read = WeightFiles.read(pth);
        assertSameTensors(tensors, read.tensors());
        if (layout.equals("lab") || layout.equals("dataparallel")) {
            assertEquals(Map.of("acc", "81.25", "epoch", "5"), read.metadata());
        }
    }
}
