package ember.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    private static Map<String, Safetensors.Tensor> sample() {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("0.weight", new Safetensors.Tensor(new int[] {3, 1}, new float[] {1.5f, -2f, Float.MIN_VALUE}));
        tensors.put("0.bias", new Safetensors.Tensor(new int[] {3}, new float[] {0f, 1e30f, -0f}));
        tensors.put("scalar", new Safetensors.Tensor(new int[] {}, new float[] {42f}));
        return tensors;
    }

    @Test
    void roundTripKeepsNamesShapesValuesAndMetadata() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, sample(), Map.of("k", "v"));
        Safetensors.Contents back = Safetensors.read(file);
        assertEquals(sample().keySet(), back.tensors().keySet());
        for (var e : sample().entrySet()) {
            assertArrayEquals(e.getValue().shape(), back.tensors().get(e.getKey()).shape());
            assertArrayEquals(e.getValue().data(), back.tensors().get(e.getKey()).data());
        }
        assertEquals("v", back.metadata().get("k"));
        assertEquals(Safetensors.checksum(sample(), Map.of("k", "v")), back.metadata().get(Safetensors.CHECKSUM));
        assertEquals(2, back.metadata().size(), back.metadata().toString());
    }

    /** The format says metadata is string to string; anything else is named, not a stack trace. */
    @Test
    void nonStringMetadataIsNamed() throws IOException {
        Path file = dir.resolve("n.safetensors");
        byte[] json = "{\"__metadata__\":{\"epoch\":5},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(json.length).put(json).putFloat(1f);
        Files.write(file, bytes.array());
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains(file + ": not a valid safetensors file: __metadata__ value of 'epoch' is 5, "
                + "not a string"), e.getMessage());
        Files.write(file, new String(bytes.array(), StandardCharsets.ISO_8859_1).replace("{\"epoch\":5}", "[\"epoch\"]  ")
                .getBytes(StandardCharsets.ISO_8859_1));
        e = assertThrows(IOException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains("__metadata__ is not a JSON object"), e.getMessage());
    }

    /** A value or a metadata entry changed after writing, even to a valid one, fails the checksum. */
    @Test
    void editsAfterWritingFailTheChecksum() throws IOException {
        Path file = dir.resolve("c.safetensors");
        Safetensors.write(file, sample(), Map.of("seed", "1"));
        byte[] bytes = Files.readAllBytes(file);
        byte[] edited = bytes.clone();
        edited[edited.length - 1] ^= 0x01; // the last byte of the scalar 42.0
        Files.write(file, edited);
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains("do not match the checksum"), e.getMessage());
        Files.write(file, new String(bytes, StandardCharsets.ISO_8859_1).replace("\"seed\":\"1\"", "\"seed\":\"2\"")
                .getBytes(StandardCharsets.ISO_8859_1));
        e = assertThrows(IOException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains("do not match the checksum"), e.getMessage());
    }

    @Test
    void layoutIsTheSafetensorsFormat() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, sample(), Map.of());
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = bytes.getLong(0);
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        String header = new String(bytes.array(), 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"0.weight\":{\"dtype\":\"F32\",\"shape\":[3,1],\"data_offsets\":[0,12]}"), header);
        assertEquals(1.5f, bytes.getFloat(8 + (int) headerLength));
        assertEquals(8 + headerLength + 7 * 4, bytes.capacity());
    }

    @Test
    void missingFileIsNamed() {
        Path file = dir.resolve("absent.safetensors");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Safetensors.read(file));
        assertEquals(file.toString(), e.getFile());
    }

    @Test
    void truncatedAndGarbageFilesAreRejectedWithTheirName() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, sample(), Map.of());
        byte[] whole = Files.readAllBytes(file);
        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(whole, whole.length - 4));
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(truncated));
        assertTrue(e.getMessage().startsWith(truncated.toString()) && e.getMessage().contains("scalar"), e.getMessage());

        Path garbage = dir.resolve("garbage.safetensors");
        Files.writeString(garbage, "this is not a model file at all");
        e = assertThrows(IOException.class, () -> Safetensors.read(garbage));
        assertTrue(e.getMessage().contains("not a valid safetensors file"), e.getMessage());
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, sample(), Map.of("v", "1"));
        Safetensors.write(file, sample(), Map.of("v", "2"));
        assertEquals("2", Safetensors.read(file).metadata().get("v"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }
}
