package ember.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Reads a tar archive (gzip-compressed or not) of either layout in one pass, without unpacking
 * it: the binary batch files wherever they sit, or {@code <prefix>/{train,test}/<class>/*}
 * images, which are decoded on a thread pool while the archive is still being read.
 */
final class Archives {
    /** No CIFAR file comes near this; a larger entry is a wrong archive, not something to buffer. */
    private static final long MAX_ENTRY = 64L << 20;

    private Archives() {}

    static Cifar10.Loaded read(Path archive, Cifar10.Expected expected, int threads) throws IOException {
        try (InputStream file = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
             ImageFolder.Collector images = new ImageFolder.Collector(threads)) {
            file.mark(4);
            byte[] magic = file.readNBytes(4);
            file.reset();
            boolean gzip = GzipCompressorInputStream.matches(magic, magic.length);
            InputStream data = gzip ? new BufferedInputStream(GzipCompressorInputStream.builder()
                    .setInputStream(file).setDecompressConcatenated(true).get(), 1 << 16) : file;
            TarArchiveInputStream tar = new TarArchiveInputStream(data);
            Cifar10.Loaded loaded = read(archive, tar, images, expected);
            // Read to the end, so that gzip checks its CRC and length over every byte, the tar's end included.
            data.transferTo(OutputStream.nullOutputStream());
            return loaded;
        } catch (DatasetException e) {
            throw e;
        } catch (IOException e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new DatasetException(archive + ": cannot read the archive, corrupt or truncated? (" + reason + ")", e);
        }
    }

    private static Cifar10.Loaded read(Path archive, TarArchiveInputStream tar, ImageFolder.Collector images,
                                       Cifar10.Expected expected) throws IOException {
        Map<String, byte[]> batches = new LinkedHashMap<>();
        String batchFolder = null;
        String imagePrefix = null;
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            String name = entry.getName();
            String[] parts = Arrays.stream(name.split("/")).filter(p -> !p.isEmpty() && !p.equals(".")).toArray(String[]::new);
            if (parts.length == 0 || Arrays.stream(parts).anyMatch(p -> p.startsWith("."))) {
                continue; // hidden files and macOS "._" metadata
            }
            String where = archive + "!/" + name;
            int n = parts.length;
            int split = n >= 2 ? ImageFolder.SPLITS.indexOf(parts[n - 2]) : -1;
            if (entry.isDirectory()) {
                if (split >= 0 && Cifar10.CLASSES.contains(parts[n - 1])) {
                    images.sawFolder(split, Cifar10.CLASSES.indexOf(parts[n - 1]));
                }
                continue;
            }
            if (!entry.isFile()) {
                continue;
            }
            String base = parts[n - 1];
            if (BinaryBatches.isBatchFile(base)) {
                BinaryBatches.checkSize(where, entry.getSize(), BinaryBatches.expectedRecords(base, expected));
                String folder = name.substring(0, name.length() - base.length());
                if (batchFolder != null && !batchFolder.equals(folder)) {
                    throw DatasetException.at(where, "batch files in two folders: '" + batchFolder + "' and '" + folder + "'");
                }
                batchFolder = folder;
                if (batches.put(base, read(tar, entry, where)) != null) {
                    throw DatasetException.at(where, "appears twice");
                }
                continue;
            }
            int imageSplit = n >= 3 ? ImageFolder.SPLITS.indexOf(parts[n - 3]) : -1;
            if (imageSplit >= 0) {
                int label = Cifar10.CLASSES.indexOf(parts[n - 2]);
                String folder = archive + "!/" + String.join("/", Arrays.copyOf(parts, n - 1)) + "/";
                if (label < 0) {
                    throw DatasetException.at(folder, "unexpected class folder '" + parts[n - 2]
                            + "'; the CIFAR-10 classes are " + String.join(", ", Cifar10.CLASSES));
                }
                if (!ImageFolder.isImageName(base)) {
                    throw DatasetException.at(where, "not an image file (.jpg, .jpeg or .png) in a class folder");
                }
                String prefix = String.join("/", Arrays.copyOf(parts, n - 3));
                if (imagePrefix == null) {
                    imagePrefix = prefix;
                } else if (!imagePrefix.equals(prefix)) {
                    throw DatasetException.at(where, "images under two roots: '" + imagePrefix + "' and '" + prefix + "'");
                }
                images.add(imageSplit, label, base, where, read(tar, entry, where), null);
                continue;
            }
            if (ImageFolder.isImageName(base)) {
                throw DatasetException.at(where, "image outside the {train,test}/<class>/ folders");
            }
            // Anything else (a README, a licence) is not data.
        }
        if (!batches.isEmpty() && images.count() > 0) {
            throw DatasetException.at(archive, "holds both binary batch files and images; use one layout per archive");
        }
        if (!batches.isEmpty()) {
            List<byte[]> train = new ArrayList<>();
            List<Object> trainWhere = new ArrayList<>();
            for (String file : BinaryBatches.TRAIN_FILES) {
                train.add(batch(batches, file, archive, batchFolder));
                trainWhere.add(archive + "!/" + batchFolder + file);
            }
            byte[] test = batch(batches, BinaryBatches.TEST_FILE, archive, batchFolder);
            return new Cifar10.Loaded(BinaryBatches.parse("train", train, trainWhere),
                    BinaryBatches.parse("test", List.of(test), List.of(archive + "!/" + batchFolder + BinaryBatches.TEST_FILE)),
                    "official binary archive " + archive);
        }
        if (images.count() > 0) {
            String root = archive + "!/" + (imagePrefix.isEmpty() ? "" : imagePrefix + "/");
            return images.finish(expected, (split, label) -> root + ImageFolder.SPLITS.get(split) + "/"
                    + (label < 0 ? "" : Cifar10.CLASSES.get(label) + "/"), "image-folder archive " + archive);
        }
        throw DatasetException.at(archive, "no CIFAR-10 data in the archive: expected " + Cifar10.BINARY_FOLDER
                + "/*.bin batch files or {train,test}/<class>/*.jpg|png images; " + Cifar10.HINT);
    }

    private static byte[] batch(Map<String, byte[]> batches, String file, Path archive, String folder) throws DatasetException {
        byte[] content = batches.get(file);
        if (content == null) {
            throw DatasetException.at(archive + "!/" + folder + file, "missing batch file in the archive (the binary set needs "
                    + String.join(", ", BinaryBatches.TRAIN_FILES) + " and " + BinaryBatches.TEST_FILE + ")");
        }
        return content;
    }

    private static byte[] read(TarArchiveInputStream tar, TarArchiveEntry entry, String where) throws IOException {
        long size = entry.getSize();
        if (size > MAX_ENTRY) {
            throw DatasetException.at(where, "entry of " + size + " bytes is far too large for CIFAR-10");
        }
        byte[] bytes = new byte[(int) size];
        Cifar10.readFully(tar, bytes, where);
        return bytes;
    }
}
