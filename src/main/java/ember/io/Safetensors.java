package ember.io;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
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

/**
 * The safetensors format (what PyTorch's safetensors package reads): an 8-byte little-endian
 * header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data. We write and read float32 tensors; files are written atomically.
 *
 * <p>Files we write carry {@value #CHECKSUM} in their metadata: a SHA-256 of the tensors (names,
 * dtypes, shapes, values) and of the other metadata. A file that has it and no longer matches
 * it (damaged, or edited by hand) is refused; files from other tools have none and are read as
 * they are.
 */
public final class Safetensors {
    private static final long MAX_HEADER = 100L << 20;
    /** Metadata key of the checksum of everything else in the file. */
    public static final String CHECKSUM = "ember.sha256";

    private Safetensors() {}

    /** The element types we exchange: float32, and int64 for counters such as BN's num_batches_tracked. */
    public enum DType {
        F32(4), I64(8);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    /**
     * A host tensor: dtype, shape and row-major values. I64 values are held as floats, exact
     * below 2^24, which is all a counter here needs.
     */
    public record Tensor(DType dtype, int[] shape, float[] data) {
        public Tensor(int[] shape, float[] data) {
            this(DType.F32, shape, data);
        }

        public Tensor {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                        + " values, data has " + data.length);
            }
        }
    }

    /** The tensors of a file, in file order, and its string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        JsonObject header = new JsonObject();
        JsonObject meta = new JsonObject();
        metadata.forEach(meta::addProperty);
        meta.addProperty(CHECKSUM, checksum(tensors, metadata));
        header.add("__metadata__", meta);
        long offset = 0;
        for (var entry : tensors.entrySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", entry.getValue().dtype().name());
            com.google.gson.JsonArray shape = new com.google.gson.JsonArray();
            for (int d : entry.getValue().shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            long bytes = (long) entry.getValue().data().length * entry.getValue().dtype().bytes;
            com.google.gson.JsonArray range = new com.google.gson.JsonArray();
            range.add(offset);
            range.add(offset + bytes);
            t.add("data_offsets", range);
            header.add(entry.getKey(), t);
            offset += bytes;
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8 bytes
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(length.array());
            out.write(headerBytes);
            for (Tensor t : tensors.values()) {
                ByteBuffer data = ByteBuffer.allocate(t.data().length * t.dtype().bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : t.data()) {
                    if (t.dtype() == DType.F32) {
                        data.putFloat(v);
                    } else {
                        data.putLong((long) v);
                    }
                }
                out.write(data.array());
            }
        });
    }

    /** Reads a whole file; every way it can be malformed is an IOException naming the file. */
    public static Contents read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "model file does not exist");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) {
            throw corrupt(file, "shorter than the 8-byte header length");
        }
        long headerLength = buf.getLong(0);
        if (headerLength < 2 || headerLength > MAX_HEADER || 8 + headerLength > bytes.length) {
            throw corrupt(file, "header length " + headerLength + " does not fit a file of " + bytes.length + " bytes");
        }
        JsonObject header;
        try {
            // Strict: a damaged header (a control character in a name, say) must not parse as another valid one.
            com.google.gson.stream.JsonReader reader = new com.google.gson.stream.JsonReader(
                    new java.io.StringReader(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8)));
            reader.setStrictness(com.google.gson.Strictness.STRICT);
            JsonElement parsed = JsonParser.parseReader(reader);
            header = parsed.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw corrupt(file, "header is not a JSON object (" + e.getMessage() + ")");
        }
        long dataStart = 8 + headerLength;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (var entry : header.entrySet()) {
            if (entry.getKey().equals("__metadata__")) {
                metadata(file, entry.getValue(), metadata);
                continue;
            }
            tensors.put(entry.getKey(), tensor(file, entry.getKey(), entry.getValue(), buf, dataStart));
        }
        String recorded = metadata.get(CHECKSUM);
        if (recorded == null && metadata.keySet().stream().anyMatch(Safetensors::looksLikeChecksumKey)) {
            throw corrupt(file, "its checksum entry is damaged (metadata " + metadata.keySet() + ")");
        }
        if (recorded != null && !recorded.equals(checksum(tensors, metadata))) {
            throw corrupt(file, "its contents do not match the checksum ember wrote into it (damaged, or "
                    + "edited after it was written)");
        }
        return new Contents(tensors, metadata);
    }

    /** A key one damaged byte or a few flipped bits away from {@link #CHECKSUM}: not another tool's key. */
    private static boolean looksLikeChecksumKey(String key) {
        if (key.length() != CHECKSUM.length()) {
            return false;
        }
        int same = 0;
        for (int i = 0; i < key.length(); i++) {
            same += key.charAt(i) == CHECKSUM.charAt(i) ? 1 : 0;
        }
        return same >= CHECKSUM.length() - 4;
    }

    /** The format allows only a string-to-string map here. */
    private static void metadata(Path file, JsonElement element, Map<String, String> into) throws IOException {
        if (!element.isJsonObject()) {
            throw corrupt(file, "__metadata__ is not a JSON object");
        }
        for (var m : element.getAsJsonObject().entrySet()) {
            if (!m.getValue().isJsonPrimitive() || !m.getValue().getAsJsonPrimitive().isString()) {
                throw corrupt(file, "__metadata__ value of '" + m.getKey() + "' is " + m.getValue()
                        + ", not a string");
            }
            into.put(m.getKey(), m.getValue().getAsString());
        }
    }

    /**
     * SHA-256 over the tensors in order (name, dtype, shape, value bits) and the metadata sorted
     * by key, as hex; computed from values, so it is the same on writing and after reading.
     */
    static String checksum(Map<String, Tensor> tensors, Map<String, String> metadata) {
        java.security.MessageDigest sha = Sha256.newDigest();
        for (var entry : tensors.entrySet()) {
            Tensor t = entry.getValue();
            sha.update((entry.getKey() + "\0" + t.dtype() + "\0" + Arrays.toString(t.shape()) + "\0")
                    .getBytes(StandardCharsets.UTF_8));
            ByteBuffer values = ByteBuffer.allocate(t.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : t.data()) {
                values.putInt(Float.floatToRawIntBits(v));
            }
            sha.update(values.array());
        }
        for (var m : new java.util.TreeMap<>(metadata).entrySet()) {
            if (!m.getKey().equals(CHECKSUM)) {
                sha.update((m.getKey() + "\0" + m.getValue() + "\0").getBytes(StandardCharsets.UTF_8));
            }
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    private static Tensor tensor(Path file, String name, JsonElement element, ByteBuffer buf, long dataStart)
            throws IOException {
        try {
            JsonObject t = element.getAsJsonObject();
            String dtypeName = t.get("dtype").getAsString();
            DType dtype;
            try {
                dtype = DType.valueOf(dtypeName);
            } catch (IllegalArgumentException e) {
                throw corrupt(file, "tensor " + name + " has dtype " + dtypeName + "; only F32 and I64 are supported");
            }
            int[] shape = new int[t.getAsJsonArray("shape").size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.getAsJsonArray("shape").get(i).getAsInt();
                count *= shape[i];
            }
            long begin = t.getAsJsonArray("data_offsets").get(0).getAsLong();
            long end = t.getAsJsonArray("data_offsets").get(1).getAsLong();
            if (begin < 0 || end - begin != count * dtype.bytes || dataStart + end > buf.capacity()) {
                throw corrupt(file, "tensor " + name + " byte range [" + begin + ", " + end
                        + ") does not match its shape " + Arrays.toString(shape) + " or the file size");
            }
            float[] data = new float[(int) count];
            ByteBuffer bytes = buf.slice((int) (dataStart + begin), (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < data.length; i++) {
                data[i] = dtype == DType.F32 ? bytes.getFloat() : bytes.getLong();
            }
            return new Tensor(dtype, shape, data);
        } catch (RuntimeException e) {
            throw corrupt(file, "tensor " + name + " has a malformed entry (" + e + ")");
        }
    }

    private static IOException corrupt(Path file, String what) {
        return new IOException(file + ": not a valid safetensors file: " + what);
    }
}
