package ember.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Small generated CIFAR-10 datasets in both layouts, written to a test's temporary folder. */
public final class CifarFixtures {
    private CifarFixtures() {}

    /** Writes {@code dir/cifar-10-batches-bin/}: train split evenly over the five files, test in one. */
    public static Path writeBinary(Path dir, ImageSet train, ImageSet test) throws IOException {
        Path batches = Files.createDirectories(dir.resolve(Cifar10.BINARY_FOLDER));
        int perFile = train.size() / 5;
        for (int f = 0; f < 5; f++) {
            Files.write(batches.resolve("data_batch_" + (f + 1) + ".bin"), records(train, f * perFile, perFile));
        }
        Files.write(batches.resolve("test_batch.bin"), records(test, 0, test.size()));
        return batches;
    }

    static byte[] records(ImageSet set, int first, int count) {
        byte[] out = new byte[count * BinaryBatches.RECORD_BYTES];
        for (int i = 0; i < count; i++) {
            out[i * BinaryBatches.RECORD_BYTES] = (byte) set.labels()[first + i];
            System.arraycopy(set.pixels(), (first + i) * Cifar10.IMAGE_BYTES, out, i * BinaryBatches.RECORD_BYTES + 1,
                    Cifar10.IMAGE_BYTES);
        }
        return out;
    }

    /**
     * Writes {@code root/{train,test}/<class>/NNNN.<format>}, numbering images within their
     * class in set order; so the loader's order (label, then name) is the set sorted by label.
     */
    public static void writeImageFolder(Path root, ImageSet train, ImageSet test, String format) throws IOException {
        writeSplit(root.resolve("train"), train, format);
        writeSplit(root.resolve("test"), test, format);
    }

    private static void writeSplit(Path dir, ImageSet set, String format) throws IOException {
        int[] next = new int[Cifar10.CLASSES.size()];
        for (int i = 0; i < set.size(); i++) {
            int label = set.labels()[i];
            Path classDir = Files.createDirectories(dir.resolve(Cifar10.CLASSES.get(label)));
            writeImage(classDir.resolve(String.format("%04d.%s", next[label]++, format)), toImage(set.pixels(), i), format);
        }
    }

    static void writeImage(Path file, BufferedImage image, String format) throws IOException {
        if (!ImageIO.write(image, format, file.toFile())) {
            throw new IOException("no ImageIO writer for " + format);
        }
    }

    /** Image {@code i} of CHW bytes as an RGB image. */
    static BufferedImage toImage(byte[] pixels, int i) {
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
        int base = i * Cifar10.IMAGE_BYTES;
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int p = base + y * 32 + x;
                int r = pixels[p] & 0xFF, g = pixels[p + 1024] & 0xFF, b = pixels[p + 2048] & 0xFF;
                image.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return image;
    }

    /** The set reordered by label (stable), as an image-folder loader returns it. */
    static ImageSet sortedByLabel(ImageSet set) {
        Integer[] order = new Integer[set.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> set.labels()[i]));
        byte[] pixels = new byte[set.pixels().length];
        int[] labels = new int[set.size()];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(set.pixels(), order[i] * Cifar10.IMAGE_BYTES, pixels, i * Cifar10.IMAGE_BYTES, Cifar10.IMAGE_BYTES);
            labels[i] = set.labels()[order[i]];
        }
        return new ImageSet(set.name(), pixels, labels);
    }

    /**
     * Packs the tree under {@code dir} into a .tar.gz, entry names starting with
     * {@code dir}'s own name (as {@code tar czf a.tgz dir} does).
     *
     * @param folderEntries whether to write entries for folders too (tar does; some tools don't)
     */
    public static Path tarGz(Path dir, Path archive, boolean folderEntries) throws IOException {
        try (OutputStream file = Files.newOutputStream(archive);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(file))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            List<Path> paths;
            try (Stream<Path> walk = Files.walk(dir)) {
                paths = walk.sorted().toList();
            }
            for (Path p : paths) {
                String name = dir.getParent().relativize(p).toString().replace('\\', '/');
                if (Files.isDirectory(p)) {
                    if (folderEntries) {
                        tar.putArchiveEntry(new TarArchiveEntry(name + "/"));
                        tar.closeArchiveEntry();
                    }
                    continue;
                }
                TarArchiveEntry entry = new TarArchiveEntry(name);
                byte[] content = Files.readAllBytes(p);
                entry.setSize(content.length);
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return archive;
    }
}
