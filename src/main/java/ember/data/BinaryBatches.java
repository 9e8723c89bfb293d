package ember.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The official CIFAR-10 binary version: five training files {@code data_batch_1..5.bin} and
 * {@code test_batch.bin}, each a run of 3073-byte records (one label byte, then the R, G and B
 * planes of a 32×32 image, rows top to bottom). 10,000 records per file in the official set.
 */
final class BinaryBatches {
    static final int RECORD_BYTES = 1 + Cifar10.IMAGE_BYTES;
    static final List<String> TRAIN_FILES = List.of(
            "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    static final String TEST_FILE = "test_batch.bin";

    private BinaryBatches() {}

    /** Records one file must hold, or -1 when any whole number of records will do. */
    static int expectedRecords(String file, Cifar10.Expected expected) {
        if (expected.any()) {
            return -1;
        }
        if (file.equals(TEST_FILE)) {
            return expected.test();
        }
        if (expected.train() % TRAIN_FILES.size() != 0) {
            throw new IllegalArgumentException("the binary format splits the training set over "
                    + TRAIN_FILES.size() + " files; " + expected.train() + " images do not split evenly");
        }
        return expected.train() / TRAIN_FILES.size();
    }

    static boolean isBatchFile(String fileName) {
        return fileName.equals(TEST_FILE) || TRAIN_FILES.contains(fileName);
    }

    /** Fails unless {@code size} bytes are exactly the expected records (or any whole number of them). */
    static void checkSize(Object where, long size, int expectedRecords) throws DatasetException {
        String record = "records of " + RECORD_BYTES + " bytes (1 label + " + Cifar10.IMAGE_BYTES + " pixels)";
        if (expectedRecords < 0) {
            if (size == 0) {
                throw DatasetException.at(where, "empty batch file");
            }
            if (size % RECORD_BYTES != 0) {
                throw DatasetException.at(where, "truncated: " + size + " bytes is not a whole number of " + record
                        + "; the last record has " + size % RECORD_BYTES + " bytes");
            }
            return;
        }
        long want = (long) expectedRecords * RECORD_BYTES;
        if (size < want) {
            throw DatasetException.at(where, "truncated: " + size + " bytes, expected " + want
                    + " (" + expectedRecords + " " + record + ")");
        }
        if (size > want) {
            throw DatasetException.at(where, "oversized: " + size + " bytes, expected " + want
                    + " (" + expectedRecords + " " + record + ")");
        }
    }

    /** Reads the six batch files of a {@code cifar-10-batches-bin} folder. */
    static Cifar10.Loaded readFolder(Path dir, Cifar10.Expected expected) throws IOException {
        List<byte[]> train = new ArrayList<>();
        List<Object> trainWhere = new ArrayList<>();
        for (String name : TRAIN_FILES) {
            Path file = dir.resolve(name);
            train.add(readFile(file, expectedRecords(name, expected)));
            trainWhere.add(file);
        }
        Path testFile = dir.resolve(TEST_FILE);
        byte[] test = readFile(testFile, expectedRecords(TEST_FILE, expected));
        return new Cifar10.Loaded(parse("train", train, trainWhere), parse("test", List.of(test), List.of(testFile)),
                Cifar10.Kind.BINARY_FOLDER + " " + dir);
    }

    private static byte[] readFile(Path file, int expectedRecords) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw DatasetException.at(file, "missing batch file (the binary set needs "
                    + String.join(", ", TRAIN_FILES) + " and " + TEST_FILE + "); " + Cifar10.HINT);
        }
        checkSize(file, Files.size(file), expectedRecords);
        return Files.readAllBytes(file);
    }

    /**
     * Turns the raw contents of batch files (already size-checked) into one image set.
     *
     * @param where the file of each content, for messages
     */
    static ImageSet parse(String split, List<byte[]> contents, List<Object> where) throws DatasetException {
        long total = 0;
        for (byte[] c : contents) {
            total += c.length / RECORD_BYTES;
        }
        if (total * Cifar10.IMAGE_BYTES > Integer.MAX_VALUE - 8) {
            throw DatasetException.at(where.getFirst(), "too many records for one array: " + total);
        }
        int n = (int) total;
        byte[] pixels = new byte[n * Cifar10.IMAGE_BYTES];
        int[] labels = new int[n];
        int image = 0;
        for (int f = 0; f < contents.size(); f++) {
            byte[] c = contents.get(f);
            for (int r = 0; r < c.length / RECORD_BYTES; r++, image++) {
                int label = c[r * RECORD_BYTES] & 0xFF;
                if (label >= Cifar10.CLASSES.size()) {
                    throw DatasetException.at(where.get(f), "record " + r + " (byte offset " + (long) r * RECORD_BYTES
                            + ") has label " + label + ", expected 0.." + (Cifar10.CLASSES.size() - 1));
                }
                labels[image] = label;
                System.arraycopy(c, r * RECORD_BYTES + 1, pixels, image * Cifar10.IMAGE_BYTES, Cifar10.IMAGE_BYTES);
            }
        }
        return new ImageSet(split, pixels, labels);
    }
}
