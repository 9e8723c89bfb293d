package ember.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of broken data fails with a message naming the file and the problem. */
class BadDataTest {
    private static final Cifar10.Expected TINY = new Cifar10.Expected(20, 10);

    @TempDir
    Path tmp;

    private final ImageSet train = ImageSet.random("train", 20, 3);
    private final ImageSet test = ImageSet.random("test", 10, 4);

    /** Loads {@code path}, expects a DatasetException, and checks its message holds every fragment. */
    private static DatasetException fails(Path path, Cifar10.Expected expected, String... fragments) {
        DatasetException e = assertThrows(DatasetException.class, () -> Cifar10.load(path, expected, 2));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message lacks '" + f + "': " + e.getMessage());
        }
        return e;
    }

    private Path binary() throws IOException {
        return CifarFixtures.writeBinary(tmp.resolve("bin"), train, test);
    }

    private Path pngTree() throws IOException {
        Path root = tmp.resolve("tree");
        CifarFixtures.writeImageFolder(root, train, test, "png");
        return root;
    }

    @Test
    void missingPathPointsToTheReadme() {
        Path nowhere = tmp.resolve("no-such-cifar");
        fails(nowhere, TINY, nowhere.toString(), "does not exist", "data/README.md");
    }

    @Test
    void folderWithoutDataSaysWhatItLookedFor() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        fails(empty, TINY, empty.toString(), "no CIFAR-10 data found", "cifar-10-batches-bin", "data/README.md");
        Path text = Files.writeString(tmp.resolve("notes.txt"), "hello");
        fails(text, TINY, "notes.txt", "not a CIFAR-10 folder");
    }

    @Test
    void truncatedBatchFile() throws IOException {
        Path file = binary().resolve("data_batch_3.bin");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 1));
        fails(file.getParent(), TINY, file.toString(), "truncated", (bytes.length - 1) + " bytes, expected " + bytes.length);
        // Without an expected count, a partial record still shows.
        fails(file.getParent(), Cifar10.Expected.ANY, file.toString(), "truncated", "3072 bytes");
    }

    @Test
    void oversizedBatchFile() throws IOException {
        Path file = binary().resolve("test_batch.bin");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length + 3073));
        fails(file.getParent(), TINY, file.toString(), "oversized");
    }

    @Test
    void missingBatchFileInFolderAndArchive() throws IOException {
        Path batches = binary();
        Files.delete(batches.resolve("data_batch_4.bin"));
        fails(batches, TINY, batches.resolve("data_batch_4.bin").toString(), "missing batch file");
        Path archive = CifarFixtures.tarGz(batches, tmp.resolve("binary.tar.gz"), true);
        fails(archive, TINY, "binary.tar.gz!/cifar-10-batches-bin/data_batch_4.bin", "missing batch file");
    }

    @Test
    void labelOutOfRangeNamesFileAndRecord() throws IOException {
        Path file = binary().resolve("data_batch_2.bin");
        byte[] bytes = Files.readAllBytes(file);
        bytes[BinaryBatches.RECORD_BYTES] = 10; // label byte of record 1
        Files.write(file, bytes);
        fails(file.getParent(), TINY, file.toString(), "record 1", "label 10", "expected 0..9");
    }

    @Test
    void missingSplitFolder() throws IOException {
        Path root = pngTree();
        deleteTree(root.resolve("test"));
        fails(root, TINY, root.resolve("test").toString(), "missing split folder");
    }

    @Test
    void missingClassFolderInTreeAndArchive() throws IOException {
        Path root = pngTree();
        deleteTree(root.resolve("train/cat"));
        fails(root, TINY, root.resolve("train/cat").toString(), "missing class folder");
        Path archive = CifarFixtures.tarGz(root, tmp.resolve("tree.tar.gz"), false);
        fails(archive, TINY, "tree.tar.gz!/tree/train/cat/", "missing class folder");
    }

    @Test
    void unexpectedClassFolder() throws IOException {
        Path root = pngTree();
        Files.move(root.resolve("test/dog"), root.resolve("test/puppy"));
        fails(root, TINY, root.resolve("test/puppy").toString(), "unexpected class folder 'puppy'");
        Files.move(root.resolve("test/puppy"), root.resolve("test/dog"));
        Files.createDirectories(root.resolve("train/kitten"));
        Files.copy(root.resolve("train/cat/0000.png"), root.resolve("train/kitten/0000.png"));
        Path archive = CifarFixtures.tarGz(root, tmp.resolve("tree.tar.gz"), true);
        fails(archive, TINY, "tree.tar.gz!/tree/train/kitten/", "unexpected class folder 'kitten'");
    }

    @Test
    void unreadableImageInTreeAndArchive() throws IOException {
        Path root = pngTree();
        Path bad = root.resolve("train/bird/0001.png");
        Files.write(bad, "not an image at all".getBytes());
        fails(root, TINY, bad.toString(), "unreadable image");
        Path archive = CifarFixtures.tarGz(root, tmp.resolve("tree.tar.gz"), true);
        fails(archive, TINY, "tree.tar.gz!/tree/train/bird/0001.png", "unreadable image");
        // A real PNG header with the data cut short fails the same way.
        byte[] png = Files.readAllBytes(root.resolve("train/bird/0000.png"));
        Files.write(bad, Arrays.copyOf(png, png.length / 2));
        fails(root, TINY, bad.toString(), "unreadable image");
    }

    /** A JPEG cut short in its scan data decodes with grey rows and only a warning: that warning refuses it. */
    @Test
    void jpegTruncatedInItsScanDataIsRefused() throws IOException {
        Path root = tmp.resolve("jpegs");
        CifarFixtures.writeImageFolder(root, train, test, "jpg");
        Path cut = root.resolve("train/cat/0001.jpg");
        byte[] jpeg = Files.readAllBytes(cut);
        int scan = scanStart(jpeg);
        Files.write(cut, Arrays.copyOf(jpeg, scan + (jpeg.length - scan) / 2));
        fails(root, TINY, cut.toString(), "unreadable image", "damaged", "Missing EOI marker");
        Path archive = CifarFixtures.tarGz(root, tmp.resolve("jpegs.tar.gz"), true);
        fails(archive, TINY, "jpegs.tar.gz!/jpegs/train/cat/0001.jpg", "unreadable image", "damaged");
    }

    /** A flipped bit in scan data that the decoder notices (not every one: see docs/robustness.md) refuses the file. */
    @Test
    void jpegWithAFlippedScanByteTheDecoderNoticesIsRefused() throws IOException {
        Path root = tmp.resolve("jpegs");
        CifarFixtures.writeImageFolder(root, train, test, "jpg");
        Path file = root.resolve("test/deer/0000.jpg");
        byte[] jpeg = Files.readAllBytes(file);
        byte[] flipped = null;
        for (int at = scanStart(jpeg); flipped == null && at < jpeg.length - 2; at++) {
            byte[] candidate = jpeg.clone();
            candidate[at] ^= 0x10;
            if (!imageIoWarnings(candidate).isEmpty()) {
                flipped = candidate;
            }
        }
        assertTrue(flipped != null, "no flip of bit 4 in the scan data makes javax.imageio warn");
        Files.write(file, flipped);
        fails(root, TINY, file.toString(), "unreadable image", "damaged");
    }

    /** javax.imageio ignores PNG chunk CRCs; a flipped bit in compressed pixels would decode to another image. */
    @Test
    void pngFailingAChunkCrcIsRefused() throws IOException {
        Path root = pngTree();
        Path file = root.resolve("train/truck/0000.png");
        byte[] png = Files.readAllBytes(file);
        int idat = new String(png, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("IDAT");
        png[idat + 4 + 40] ^= 0x04;
        Files.write(file, png);
        fails(root, TINY, file.toString(), "unreadable image", "chunk 'IDAT'", "fails its CRC");
    }

    /** Where the entropy-coded data of a baseline JPEG begins: after the SOS segment. */
    private static int scanStart(byte[] jpeg) {
        for (int i = 0; i < jpeg.length - 3; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) {
                return i + 2 + (((jpeg[i + 2] & 0xFF) << 8) | (jpeg[i + 3] & 0xFF));
            }
        }
        throw new AssertionError("no SOS marker");
    }

    private static java.util.List<String> imageIoWarnings(byte[] bytes) throws IOException {
        javax.imageio.ImageReader reader = javax.imageio.ImageIO.getImageReadersByFormatName("jpeg").next();
        java.util.List<String> warnings = new java.util.ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        try (var in = new javax.imageio.stream.MemoryCacheImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
            reader.setInput(in);
            reader.read(0);
        } catch (IOException | RuntimeException e) {
            return java.util.List.of("exception: " + e);
        } finally {
            reader.dispose();
        }
        return warnings;
    }

    @Test
    void wrongImageSize() throws IOException {
        Path root = pngTree();
        Path small = root.resolve("test/ship/0000.png");
        CifarFixtures.writeImage(small, new BufferedImage(28, 24, BufferedImage.TYPE_3BYTE_BGR), "png");
        fails(root, TINY, small.toString(), "wrong image size 28x24, expected 32x32");
    }

    @Test
    void fileThatIsNotAnImageInAClassFolder() throws IOException {
        Path root = pngTree();
        Path notes = Files.writeString(root.resolve("train/frog/notes.txt"), "frogs");
        fails(root, TINY, notes.toString(), "not an image file");
    }

    @Test
    void wrongImageCountIsReportedPerClass() throws IOException {
        Path root = pngTree();
        Files.delete(root.resolve("train/horse/0001.png"));
        fails(root, TINY, root.resolve("train").toString(), "holds 19 images, expected 20", "horse 1");
        Cifar10.load(root, Cifar10.Expected.ANY, 1); // a subset is fine when asked for
    }

    @Test
    void truncatedArchive() throws IOException {
        Path archive = CifarFixtures.tarGz(pngTree(), tmp.resolve("tree.tar.gz"), true);
        byte[] bytes = Files.readAllBytes(archive);
        Files.write(archive, Arrays.copyOf(bytes, bytes.length / 2));
        fails(archive, TINY, archive.toString(), "corrupt or truncated");
    }

    @Test
    void archiveWithoutCifarData() throws IOException {
        Path junk = Files.createDirectories(tmp.resolve("junk"));
        Files.writeString(junk.resolve("README"), "nothing here");
        Path archive = CifarFixtures.tarGz(junk, tmp.resolve("junk.tar.gz"), true);
        fails(archive, TINY, archive.toString(), "no CIFAR-10 data in the archive");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
