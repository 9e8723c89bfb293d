package ember.data;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Image-folder trees: {@code root/{train,test}/<class>/*.jpg|jpeg|png}, label = index of the
 * class folder's name in {@link Cifar10#CLASSES}. Both splits and all ten class folders must
 * be there; other folders beside them are an error, files that are not images are an error
 * inside class folders and ignored elsewhere, hidden files ({@code .name}) are ignored.
 * Images are ordered by split, label and file name, as the reference does.
 */
final class ImageFolder {
    static final List<String> SPLITS = List.of("train", "test");

    private ImageFolder() {}

    static boolean isImageName(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    static Cifar10.Loaded readFolder(Path root, Cifar10.Expected expected, int threads) throws IOException {
        try (Collector images = new Collector(threads)) {
            for (int split = 0; split < SPLITS.size(); split++) {
                Path splitDir = root.resolve(SPLITS.get(split));
                if (!Files.isDirectory(splitDir)) {
                    throw DatasetException.at(splitDir, "missing split folder (an image-folder tree needs "
                            + "train/ and test/, each with one folder per class); " + Cifar10.HINT);
                }
                for (Path child : list(splitDir)) {
                    String name = child.getFileName().toString();
                    if (Files.isDirectory(child) && !Cifar10.CLASSES.contains(name)) {
                        throw DatasetException.at(child, "unexpected class folder '" + name
                                + "'; the CIFAR-10 classes are " + String.join(", ", Cifar10.CLASSES));
                    }
                    if (!Files.isDirectory(child) && isImageName(name)) {
                        throw DatasetException.at(child, "image outside a class folder");
                    }
                }
                for (int label = 0; label < Cifar10.CLASSES.size(); label++) {
                    Path classDir = splitDir.resolve(Cifar10.CLASSES.get(label));
                    if (!Files.isDirectory(classDir)) {
                        throw DatasetException.at(classDir, "missing class folder (each split needs all ten: "
                                + String.join(", ", Cifar10.CLASSES) + ")");
                    }
                    images.sawFolder(split, label);
                    for (Path file : list(classDir)) {
                        String name = file.getFileName().toString();
                        if (!Files.isRegularFile(file) || !isImageName(name)) {
                            throw DatasetException.at(file, "not an image file (.jpg, .jpeg or .png) in a class folder");
                        }
                        images.add(split, label, name, file, null, file);
                    }
                }
            }
            return images.finish(expected, (split, label) -> root.resolve(SPLITS.get(split))
                            .resolve(label < 0 ? "" : Cifar10.CLASSES.get(label)).toString(),
                    Cifar10.Kind.IMAGE_FOLDER + " " + root);
        }
    }

    /** Non-hidden children, sorted by name. */
    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            return children.filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    /** Names a split folder (label -1) or a class folder in messages. */
    @FunctionalInterface
    interface FolderNamer {
        String name(int split, int label);
    }

    /**
     * Gathers the images of a tree or an archive and decodes them on a thread pool while more
     * are added; {@link #finish} checks the structure and counts and builds the two splits.
     */
    static final class Collector implements AutoCloseable {
        /** Images per decoding task: large enough to amortise a task, small enough to balance. */
        private static final int CHUNK = 500;

        private static final class Item {
            final int split, label;
            final String name;
            final Object where;
            final Path file;
            byte[] bytes;
            byte[] pixels;

            Item(int split, int label, String name, Object where, byte[] bytes, Path file) {
                this.split = split;
                this.label = label;
                this.name = name;
                this.where = where;
                this.bytes = bytes;
                this.file = file;
            }
        }

        private final ExecutorService pool;
        private final List<Item> items = new ArrayList<>();
        private final List<Future<Void>> tasks = new ArrayList<>();
        private final Set<Integer> folders = new HashSet<>();
        private int submitted;

        Collector(int threads) {
            this.pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon().name("ember-decode-", 0).factory());
        }

        int count() {
            return items.size();
        }

        /** Notes that a class folder exists (so an empty one is reported as empty, not missing). */
        void sawFolder(int split, int label) {
            folders.add(split * Cifar10.CLASSES.size() + label);
        }

        /** Adds one image: its encoded bytes, or (bytes null) the file to read them from. */
        void add(int split, int label, String name, Object where, byte[] bytes, Path file) {
            sawFolder(split, label);
            items.add(new Item(split, label, name, where, bytes, file));
            if (items.size() - submitted >= CHUNK) {
                submit();
            }
        }

        private void submit() {
            List<Item> chunk = List.copyOf(items.subList(submitted, items.size()));
            submitted = items.size();
            if (chunk.isEmpty()) {
                return;
            }
            tasks.add(pool.submit(() -> {
                try (ImageDecoder decoder = new ImageDecoder()) {
                    for (Item item : chunk) {
                        byte[] bytes = item.bytes;
                        if (bytes == null) {
                            try {
                                bytes = Files.readAllBytes(item.file);
                            } catch (IOException e) {
                                throw new DatasetException(item.where + ": cannot read (" + e + ")", e);
                            }
                        }
                        item.pixels = new byte[Cifar10.IMAGE_BYTES];
                        decoder.decode(bytes, item.where, item.pixels, 0);
                        item.bytes = null;
                    }
                }
                return null;
            }));
        }

        /** Waits for decoding, checks folders and counts, and returns the two splits in order. */
        Cifar10.Loaded finish(Cifar10.Expected expected, FolderNamer folderName, String source) throws IOException {
            submit();
            for (Future<Void> task : tasks) {
                try {
                    task.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while decoding images");
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    throw new IllegalStateException("decoding images failed", e.getCause());
                }
            }
            ImageSet[] sets = new ImageSet[SPLITS.size()];
            for (int split = 0; split < SPLITS.size(); split++) {
                final int s = split;
                List<Item> mine = new ArrayList<>(items.stream().filter(i -> i.split == s).toList());
                if (mine.isEmpty()) {
                    throw DatasetException.at(folderName.name(split, -1), "missing split folder (or no images in it); "
                            + "an image-folder tree needs train/ and test/, each with one folder per class");
                }
                mine.sort(Comparator.<Item>comparingInt(i -> i.label).thenComparing(i -> i.name));
                int[] counts = new int[Cifar10.CLASSES.size()];
                for (int i = 0; i < mine.size(); i++) {
                    Item item = mine.get(i);
                    counts[item.label]++;
                    if (i > 0 && mine.get(i - 1).label == item.label && mine.get(i - 1).name.equals(item.name)) {
                        throw DatasetException.at(item.where, "appears twice");
                    }
                }
                for (int label = 0; label < counts.length; label++) {
                    if (counts[label] == 0) {
                        boolean seen = folders.contains(split * Cifar10.CLASSES.size() + label);
                        throw DatasetException.at(folderName.name(split, label), seen
                                ? "class folder holds no images (.jpg, .jpeg or .png)"
                                : "missing class folder (each split needs all ten: " + String.join(", ", Cifar10.CLASSES) + ")");
                    }
                }
                int want = split == 0 ? expected.train() : expected.test();
                if (!expected.any() && mine.size() != want) {
                    StringBuilder perClass = new StringBuilder();
                    for (int label = 0; label < counts.length; label++) {
                        perClass.append(label == 0 ? "" : ", ").append(Cifar10.CLASSES.get(label)).append(' ').append(counts[label]);
                    }
                    throw DatasetException.at(folderName.name(split, -1), "holds " + mine.size() + " images, expected "
                            + want + " (per class: " + perClass + ")");
                }
                byte[] pixels = new byte[mine.size() * Cifar10.IMAGE_BYTES];
                int[] labels = new int[mine.size()];
                for (int i = 0; i < mine.size(); i++) {
                    System.arraycopy(mine.get(i).pixels, 0, pixels, i * Cifar10.IMAGE_BYTES, Cifar10.IMAGE_BYTES);
                    labels[i] = mine.get(i).label;
                }
                sets[split] = new ImageSet(SPLITS.get(split), pixels, labels);
            }
            return new Cifar10.Loaded(sets[0], sets[1], source);
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }
}
