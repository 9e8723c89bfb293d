package ember.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * CIFAR-10: the constants of the format and the one entry point that finds and loads the data
 * behind a {@code --data PATH}.
 *
 * <p>Accepted paths ({@link #resolve}):
 * <ul>
 *   <li>a folder holding {@code cifar-10-batches-bin/} (what the official archive unpacks to),</li>
 *   <li>the {@code cifar-10-batches-bin/} folder itself ({@code data_batch_1..5.bin}, {@code test_batch.bin}),</li>
 *   <li>an image-folder root {@code {train,test}/<class>/*.jpg|png}, or a folder whose single
 *       subfolder is one (what {@code cifar10-jpeg.tar.gz} unpacks to),</li>
 *   <li>a {@code .tar.gz}, {@code .tgz} or {@code .tar} archive of either layout, read without
 *       unpacking ({@code cifar-10-binary.tar.gz}, {@code cifar10-jpeg.tar.gz}),</li>
 *   <li>a folder holding exactly one such archive (e.g. the repository's {@code data/}).</li>
 * </ul>
 */
public final class Cifar10 {
    /** Class names; a label is the index in this alphabetical list. */
    public static final List<String> CLASSES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
    public static final int CHANNELS = 3;
    public static final int HEIGHT = 32;
    public static final int WIDTH = 32;
    /** Bytes of one image: 3 planes of 32×32. */
    public static final int IMAGE_BYTES = CHANNELS * HEIGHT * WIDTH;
    /** Per-channel mean and standard deviation of the training set (R, G, B), as in the reference. */
    public static final float[] MEAN = {0.4914f, 0.4822f, 0.4465f};
    public static final float[] STD = {0.2470f, 0.2435f, 0.2616f};

    /** Folder name of the official binary version. */
    public static final String BINARY_FOLDER = "cifar-10-batches-bin";
    static final String HINT = "see data/README.md for how to get CIFAR-10";

    private Cifar10() {}

    /**
     * How many images each split must hold; a loader fails when the data has another count, so
     * that a partly copied dataset is never trained on. {@link #ANY} accepts any non-empty split
     * (the binary train count must then still split evenly over the five batch files).
     */
    public record Expected(int train, int test) {
        /** The official split: 50,000 training and 10,000 test images. */
        public static final Expected OFFICIAL = new Expected(50_000, 10_000);
        /** Any count (small generated sets, subsets). */
        public static final Expected ANY = new Expected(-1, -1);

        public Expected {
            if (train == 0 || test == 0 || train < -1 || test < -1) {
                throw new IllegalArgumentException("expected counts must be positive, or -1 for any: " + train + ", " + test);
            }
        }

        boolean any() {
            return train < 0;
        }
    }

    /** What a path holds, as found by {@link #resolve}. */
    public enum Kind {
        /** The official binary batch files in a folder. */
        BINARY_FOLDER("official binary folder"),
        /** An image-folder tree {train,test}/class/image. */
        IMAGE_FOLDER("image-folder tree"),
        /** A tar archive (gzip or not) of either layout; which one is found while reading it. */
        ARCHIVE("archive");

        private final String words;

        Kind(String words) {
            this.words = words;
        }

        @Override
        public String toString() {
            return words;
        }
    }

    /** A resolved dataset location: the folder or archive to read and its kind. */
    public record Source(Kind kind, Path path) {
        @Override
        public String toString() {
            return kind + " " + path;
        }
    }

    /** {@link #load(Path, Expected, int)} for the official split with one thread per core. */
    public static Cifar10Data load(Path path) throws IOException {
        return load(path, Expected.OFFICIAL, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Finds the dataset behind {@code path} and loads both splits into memory.
     *
     * @param threads threads for decoding images (the binary format needs no decoding)
     * @throws DatasetException when the path holds no usable CIFAR-10 data; the message names
     *                          the file and what is wrong
     */
    public static Cifar10Data load(Path path, Expected expected, int threads) throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
        Source source = resolve(path);
        long start = System.nanoTime();
        Loaded loaded = switch (source.kind()) {
            case BINARY_FOLDER -> BinaryBatches.readFolder(source.path(), expected);
            case IMAGE_FOLDER -> ImageFolder.readFolder(source.path(), expected, threads);
            case ARCHIVE -> Archives.read(source.path(), expected, threads);
        };
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Cifar10Data(loaded.train(), loaded.test(), loaded.source(), seconds);
    }

    /** What a reader returns; the loader adds the time. */
    record Loaded(ImageSet train, ImageSet test, String source) {}

    /**
     * Says what {@code path} holds without reading the data. Archives are recognised by name
     * ({@code .tar.gz}, {@code .tgz}, {@code .tar}); their layout is found while loading.
     *
     * @throws DatasetException when the path does not exist or holds nothing recognisable
     */
    public static Source resolve(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw DatasetException.at(path, "dataset path does not exist; " + HINT
                    + " (the official binary archive or an image-folder tree, optionally as .tar.gz)");
        }
        if (Files.isRegularFile(path)) {
            if (isArchiveName(path)) {
                return new Source(Kind.ARCHIVE, path);
            }
            if (path.getFileName().toString().endsWith(".bin")) {
                throw DatasetException.at(path, "give the folder holding the batch files, not one batch file");
            }
            throw DatasetException.at(path, "not a CIFAR-10 folder or a .tar.gz/.tgz/.tar archive; " + HINT);
        }
        if (Files.isDirectory(path.resolve(BINARY_FOLDER))) {
            return new Source(Kind.BINARY_FOLDER, path.resolve(BINARY_FOLDER));
        }
        if (Files.exists(path.resolve("data_batch_1.bin")) || Files.exists(path.resolve(BinaryBatches.TEST_FILE))) {
            return new Source(Kind.BINARY_FOLDER, path);
        }
        if (isImageRoot(path)) {
            return new Source(Kind.IMAGE_FOLDER, path);
        }
        List<Path> subfolders = new ArrayList<>();
        List<Path> archives = new ArrayList<>();
        List<String> found = new ArrayList<>();
        try (Stream<Path> children = Files.list(path)) {
            for (Path child : children.sorted().toList()) {
                if (child.getFileName().toString().startsWith(".")) {
                    continue;
                }
                found.add(child.getFileName() + (Files.isDirectory(child) ? "/" : ""));
                if (Files.isDirectory(child)) {
                    subfolders.add(child);
                } else if (isArchiveName(child)) {
                    archives.add(child);
                }
            }
        }
        if (subfolders.size() == 1 && isImageRoot(subfolders.getFirst())) {
            return new Source(Kind.IMAGE_FOLDER, subfolders.getFirst());
        }
        if (subfolders.isEmpty() && archives.size() == 1) {
            return new Source(Kind.ARCHIVE, archives.getFirst());
        }
        String why = archives.size() > 1 ? "several archives " + names(archives) + "; name one"
                : "neither " + BINARY_FOLDER + "/, data_batch_*.bin, train/ and test/ folders, nor one .tar.gz";
        String listing = found.isEmpty() ? "it is empty" : "it holds " + String.join(", ", found.subList(0, Math.min(6,
                found.size()))) + (found.size() > 6 ? ", ... (" + found.size() + " entries)" : "");
        throw DatasetException.at(path, "no CIFAR-10 data found: " + why + " (" + listing + "); " + HINT);
    }

    private static boolean isImageRoot(Path dir) {
        return Files.isDirectory(dir.resolve("train")) || Files.isDirectory(dir.resolve("test"));
    }

    static boolean isArchiveName(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return name.endsWith(".tar.gz") || name.endsWith(".tgz") || name.endsWith(".tar");
    }

    private static String names(List<Path> paths) {
        return paths.stream().map(p -> p.getFileName().toString()).toList().toString();
    }

    /** Reads exactly {@code buffer.length} bytes, or fails naming {@code where}. */
    static void readFully(InputStream in, byte[] buffer, Object where) throws IOException {
        int n = in.readNBytes(buffer, 0, buffer.length);
        if (n != buffer.length) {
            throw DatasetException.at(where, "ends after " + n + " of " + buffer.length + " bytes (truncated)");
        }
    }
}
