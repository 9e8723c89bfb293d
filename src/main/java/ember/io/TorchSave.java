package ember.io;

import ember.io.Safetensors.DType;
import ember.io.Safetensors.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import net.razorvine.pickle.IObjectPickler;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Pickler;
import net.razorvine.pickle.Unpickler;

/**
 * PyTorch's checkpoint files as torch.save writes them since 1.6: a zip archive holding
 * {@code data.pkl} (the pickled object, whose tensors point by persistent id at storages) and
 * one {@code data/<key>} record per storage, little-endian. Pickles go through Razorvine's
 * pickle library. Reading accepts only the globals that rebuild tensors and state dicts and
 * refuses any other by name: a .pth from elsewhere is a program, and this one runs none of it.
 */
public final class TorchSave {
    /** The archive's folder, as torch.save names it; torch.load takes any. */
    static final String ARCHIVE = "archive";

    private TorchSave() {}

    /**
     * Whether the file starts as torch.save's files do (a zip archive, or the legacy format's
     * pickle), as opposed to safetensors (an 8-byte header length).
     */
    public static boolean looksLikeOne(Path file) throws IOException {
        byte[] head = head(file, 4);
        boolean zip = head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        return zip || legacy(head);
    }

    private static boolean legacy(byte[] head) {
        return head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] == 2;
    }

    private static byte[] head(Path file, int bytes) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(bytes);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "model file does not exist");
        }
    }

    /**
     * The state dict in a torch.save file: the object itself when it is a dict of tensors, else
     * the dict under 'net', 'state_dict' or 'model' (the lab's layout and the usual others),
     * with DataParallel's "module." prefixes stripped. The file's other top-level entries that
     * are numbers, strings or one-value tensors (the lab's 'acc' and 'epoch') come back as metadata.
     */
    public static Safetensors.Contents readStateDict(Path file) throws IOException {
        if (!(read(file) instanceof Map<?, ?> top)) {
            throw new IOException(file + ": holds no dict, so no state dict");
        }
        Map<?, ?> dict = top;
        Map<String, String> metadata = new LinkedHashMap<>();
        if (!top.values().stream().allMatch(v -> v instanceof Tensor)) {
            String key = List.of("net", "state_dict", "model").stream().filter(k -> top.get(k) instanceof Map)
                    .findFirst().orElseThrow(() -> new IOException(file + ": no state dict: its top-level keys are "
                            + top.keySet() + "; expected tensors, or a dict of them under 'net', 'state_dict' or 'model'"));
            dict = (Map<?, ?>) top.get(key);
            top.forEach((k, v) -> {
                if (!k.equals(key) && (v instanceof Number || v instanceof String)) {
                    metadata.put(String.valueOf(k), String.valueOf(v));
                } else if (!k.equals(key) && v instanceof Tensor t && t.data().length == 1) {
                    metadata.put(String.valueOf(k), String.valueOf(t.data()[0]));
                }
            });
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (var entry : dict.entrySet()) {
            String name = String.valueOf(entry.getKey());
            if (!(entry.getValue() instanceof Tensor t)) {
                throw new IOException(file + ": state dict entry " + name + " is not a tensor");
            }
            tensors.put(name.startsWith("module.") ? name.substring("module.".length()) : name, t);
        }
        return new Safetensors.Contents(tensors, metadata);
    }

    // ---- Reading ----

    /** What a torch.save file holds: its top-level object, with every tensor as a {@link Tensor}. */
    public static Object read(Path file) throws IOException {
        if (legacy(head(file, 2))) {
            throw new IOException(file + ": written in torch.save's legacy format (PyTorch before 1.6, or "
                    + "_use_new_zipfile_serialization=False), which is not read here; load it in PyTorch and save "
                    + "it again with torch.save(obj, path)");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(file, zip);
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null && !new String(bytes(zip, order), StandardCharsets.US_ASCII)
                    .strip().equals("little")) {
                throw new IOException(file + ": its tensors are stored big-endian; only little-endian files are read");
            }
            byte[] pickle = bytes(zip, zip.getEntry(prefix + "data.pkl"));
            TensorUnpickler unpickler = new TensorUnpickler(file, zip, prefix);
            try {
                return unpickler.loads(pickle);
            } catch (PickleException | IllegalArgumentException | ClassCastException | IndexOutOfBoundsException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            } finally {
                unpickler.close();
            }
        } catch (ZipException e) {
            throw new IOException(file + ": not a torch.save file (a zip archive with data.pkl): " + e.getMessage(), e);
        }
    }

    /**
     * An entry's bytes, checked against the CRC the zip records for it: ZipFile checks it only
     * for compressed entries, and torch.save stores them uncompressed.
     */
    private static byte[] bytes(ZipFile zip, ZipEntry entry) throws IOException {
        byte[] bytes = zip.getInputStream(entry).readAllBytes();
        CRC32 crc = new CRC32();
        crc.update(bytes);
        if (entry.getCrc() != -1 && crc.getValue() != entry.getCrc()) {
            throw new ZipException("entry " + entry.getName() + " fails its CRC (damaged)");
        }
        return bytes;
    }

    /** "archive/", the folder of the archive's data.pkl. */
    private static String archivePrefix(Path file, ZipFile zip) throws IOException {
        return zip.stream().map(ZipEntry::getName).filter(n -> n.endsWith("data.pkl") && n.indexOf('/') == n.length() - 9)
                .findFirst().map(n -> n.substring(0, n.length() - "data.pkl".length()))
                .orElseThrow(() -> new IOException(file + ": a zip archive without <folder>/data.pkl, so not a "
                        + "torch.save file"));
    }

    /** The storage types torch.save names, by element type. */
    private enum Storage {
        FLOAT(4, DType.F32), DOUBLE(8, DType.F32), LONG(8, DType.I64);

        final int bytes;
        final DType dtype;

        Storage(int bytes, DType dtype) {
            this.bytes = bytes;
            this.dtype = dtype;
        }
    }

    /** A storage's record and type, as a persistent id names it. */
    private record StorageRef(Storage type, ByteBuffer data) {}

    /**
     * Razorvine's unpickler with every opcode that names a Python global checked here: only the
     * tensor-rebuilding globals of {@link #ALLOWED} get through; objects built by class
     * (INST, OBJ, NEWOBJ) are refused outright.
     */
    private static final class TensorUnpickler extends Unpickler {
        private final Path file;
        private final ZipFile zip;
        private final String prefix;
        private final Map<String, StorageRef> storages = new HashMap<>();

        TensorUnpickler(Path file, ZipFile zip, String prefix) {
            this.file = file;
            this.zip = zip;
            this.prefix = prefix;
        }

        @Override
        protected Object dispatch(short key) throws PickleException, IOException {
            switch (key) {
                case Opcodes.GLOBAL -> {
                    String module = PickleUtils.readline(input), name = PickleUtils.readline(input);
                    stack.add(allowed(module, name));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.STACK_GLOBAL -> {
                    String name = String.valueOf(stack.pop()), module = String.valueOf(stack.pop());
                    stack.add(allowed(module, name));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.INST, Opcodes.OBJ, Opcodes.NEWOBJ, Opcodes.NEWOBJ_EX ->
                    throw new PickleException("refused: the pickle builds an object of a Python class (opcode "
                            + key + "); only tensors, numbers, strings and dicts of them are read");
                case Opcodes.BUILD -> {
                    // A state dict's _metadata (module versions), set on the OrderedDict: not needed.
                    Object state = stack.pop();
                    if (!(stack.peek() instanceof Map)) {
                        throw new PickleException("refused: the pickle sets the state of a " + stack.peek().getClass()
                                .getSimpleName() + " to " + state);
                    }
                    return NO_RETURN_VALUE;
                }
                default -> {
                    return super.dispatch(key);
                }
            }
        }

        /** A global the file may name, as the object the pickle then calls or refers to. */
        private Object allowed(String module, String name) {
            String global = module + "." + name;
            return switch (global) {
                case "collections.OrderedDict" -> (net.razorvine.pickle.IObjectConstructor) args -> new LinkedHashMap<>();
                case "torch._utils._rebuild_tensor_v2" -> (net.razorvine.pickle.IObjectConstructor) this::rebuildTensor;
                case "torch._utils._rebuild_parameter" -> (net.razorvine.pickle.IObjectConstructor) args -> args[0];
                case "torch.FloatStorage" -> Storage.FLOAT;
                case "torch.DoubleStorage" -> Storage.DOUBLE;
                case "torch.LongStorage" -> Storage.LONG;
                default -> throw new PickleException("refused: the pickle asks for the Python global " + global
                        + (global.startsWith("torch.") && global.endsWith("Storage")
                                ? " (only float32, float64 and int64 tensors are read)"
                                : "; a .pth may run code, so only the globals that rebuild tensors and state dicts "
                                        + "are accepted (save model.state_dict(), not the model)"));
            };
        }

        /** torch.save's persistent ids: ('storage', type, key, location, numel). */
        @Override
        protected Object persistentLoad(Object pid) {
            Object[] id = (Object[]) pid;
            if (id.length < 5 || !"storage".equals(id[0]) || !(id[1] instanceof Storage type)) {
                throw new PickleException("unexpected persistent id " + Arrays.deepToString(id));
            }
            String key = String.valueOf(id[2]);
            long numel = ((Number) id[4]).longValue();
            return storages.computeIfAbsent(key, k -> {
                ZipEntry record = zip.getEntry(prefix + "data/" + k);
                if (record == null) {
                    throw new PickleException("storage " + k + " is missing from the archive");
                }
                try {
                    byte[] bytes = bytes(zip, record);
                    if (bytes.length < numel * type.bytes) {
                        throw new PickleException("storage " + k + " holds " + bytes.length + " bytes, needs "
                                + numel * type.bytes);
                    }
                    return new StorageRef(type, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
                } catch (IOException e) {
                    throw new PickleException("storage " + k + ": " + e.getMessage());
                }
            });
        }

        /** _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]). */
        private Object rebuildTensor(Object[] args) {
            if (!(args[0] instanceof StorageRef storage)) {
                throw new PickleException("a tensor without a storage in " + file);
            }
            long offset = ((Number) args[1]).longValue();
            int[] shape = ints((Object[]) args[2]);
            int[] stride = ints((Object[]) args[3]);
            int count = 1;
            for (int d : shape) {
                count = Math.multiplyExact(count, d);
            }
            float[] values = new float[count];
            int[] index = new int[shape.length];
            for (int i = 0; i < count; i++) {
                long at = offset;
                for (int d = 0; d < shape.length; d++) {
                    at += (long) index[d] * stride[d];
                }
                values[i] = element(storage, at);
                for (int d = shape.length - 1; d >= 0 && ++index[d] == shape[d]; d--) {
                    index[d] = 0;
                }
            }
            return new Tensor(storage.type().dtype, shape, values);
        }

        private static float element(StorageRef storage, long at) {
            int byteAt = Math.toIntExact(at * storage.type().bytes);
            return switch (storage.type()) {
                case FLOAT -> storage.data().getFloat(byteAt);
                case DOUBLE -> (float) storage.data().getDouble(byteAt);
                case LONG -> storage.data().getLong(byteAt);
            };
        }

        private static int[] ints(Object[] values) {
            int[] out = new int[values.length];
            for (int i = 0; i < values.length; i++) {
                out[i] = Math.toIntExact(((Number) values[i]).longValue());
            }
            return out;
        }
    }

    // ---- Writing ----

    /**
     * Writes {'net': tensors, **extra} as torch.save does (what the lab's scripts save and
     * {@code torch.load(path, weights_only=True)['net']} restores), atomically. Extra values are
     * strings, integers, or floating-point numbers, which go in as 0-dim float tensors: PyTorch
     * 1.13's weights-only loader reads no pickled Python float.
     */
    public static void writeStateDict(Path file, Map<String, Tensor> tensors, Map<String, Object> extra)
            throws IOException {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("net", new StateDict(tensors));
        extra.forEach((key, value) -> top.put(key, value instanceof Double || value instanceof Float
                ? new Tensor(new int[] {}, new float[] {((Number) value).floatValue()}) : value));
        TorchPickler pickler = new TorchPickler();
        byte[] pickle = pickler.dumps(top);
        AtomicFiles.write(file, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            stored(zip, ARCHIVE + "/data.pkl", pickle);
            for (int key = 0; key < pickler.storages.size(); key++) {
                stored(zip, ARCHIVE + "/data/" + key, bytes(pickler.storages.get(key)));
            }
            stored(zip, ARCHIVE + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, ARCHIVE + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            zip.finish(); // not close(): out belongs to AtomicFiles, which flushes it to disk first
        });
    }

    /** The tensors of a state dict, pickled as collections.OrderedDict. */
    private record StateDict(Map<String, Tensor> tensors) {}

    /**
     * Razorvine's pickler, emitting state dicts and tensors the way torch.save does: an
     * OrderedDict of torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False,
     * OrderedDict()), each storage a persistent id ('storage', torch.FloatStorage or
     * LongStorage, key, 'cpu', numel) whose key is its place in {@link #storages}.
     */
    private static final class TorchPickler extends Pickler {
        /** The tensors pickled so far, in order: storage k is record data/k. */
        final List<Tensor> storages = new ArrayList<>();

        TorchPickler() {
            super(false);
        }

        @Override
        protected IObjectPickler getCustomPickler(Class<?> type) {
            if (type == StateDict.class) {
                return this::stateDict;
            }
            return type == Tensor.class ? this::tensor : super.getCustomPickler(type);
        }

        private void stateDict(Object o, OutputStream out, Pickler pickler) throws IOException {
            orderedDict(out);
            out.write(Opcodes.MARK);
            for (var entry : ((StateDict) o).tensors().entrySet()) {
                save(entry.getKey());
                save(entry.getValue());
            }
            out.write(Opcodes.SETITEMS);
        }

        private void tensor(Object o, OutputStream out, Pickler pickler) throws IOException {
            Tensor t = (Tensor) o;
            int key = storages.size();
            storages.add(t);
            global(out, "torch._utils", "_rebuild_tensor_v2");
            out.write(Opcodes.MARK);
            out.write(Opcodes.MARK);
            save("storage");
            global(out, "torch", t.dtype() == DType.I64 ? "LongStorage" : "FloatStorage");
            save(Integer.toString(key));
            save("cpu");
            save(t.data().length);
            out.write(Opcodes.TUPLE);
            out.write(Opcodes.BINPERSID);
            save(0);
            tuple(out, t.shape());
            tuple(out, contiguousStrides(t.shape()));
            save(false);
            orderedDict(out);
            out.write(Opcodes.TUPLE);
            out.write(Opcodes.REDUCE);
        }

        private void tuple(OutputStream out, int[] values) throws IOException {
            out.write(Opcodes.MARK);
            for (int v : values) {
                save(v);
            }
            out.write(Opcodes.TUPLE);
        }

        /** collections.OrderedDict(), empty. */
        private static void orderedDict(OutputStream out) throws IOException {
            global(out, "collections", "OrderedDict");
            out.write(Opcodes.EMPTY_TUPLE);
            out.write(Opcodes.REDUCE);
        }

        private static void global(OutputStream out, String module, String name) throws IOException {
            out.write(Opcodes.GLOBAL);
            out.write((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static int[] contiguousStrides(int[] shape) {
        int[] stride = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            stride[d] = s;
            s *= shape[d];
        }
        return stride;
    }

    private static byte[] bytes(Tensor t) {
        boolean integer = t.dtype() == DType.I64;
        ByteBuffer data = ByteBuffer.allocate(t.data().length * (integer ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : t.data()) {
            if (integer) {
                data.putLong((long) v);
            } else {
                data.putFloat(v);
            }
        }
        return data.array();
    }

    /** An uncompressed entry (torch.save stores its records so; torch.load reads them in place). */
    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
