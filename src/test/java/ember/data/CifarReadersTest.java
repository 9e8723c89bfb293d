package ember.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarReadersTest {
    private static final Cifar10.Expected TINY = new Cifar10.Expected(20, 10);

    @TempDir
    Path tmp;

    private final ImageSet train = ImageSet.random("train", 20, 1);
    private final ImageSet test = ImageSet.random("test", 10, 2);

    private static void assertSameImages(ImageSet expected, ImageSet actual) {
        assertEquals(expected.size(), actual.size(), "image count");
        assertArrayEquals(expected.labels(), actual.labels(), "labels");
        assertArrayEquals(expected.pixels(), actual.pixels(), "pixels");
    }

    @Test
    void binaryFolderReadsEveryRecordInFileOrder() throws IOException {
        Path batches = CifarFixtures.writeBinary(tmp.resolve("data"), train, test);
        for (Path given : new Path[] {tmp.resolve("data"), batches}) {
            Cifar10Data data = Cifar10.load(given, TINY, 2);
            assertSameImages(train, data.train());
            assertSameImages(test, data.test());
            assertTrue(data.source().contains("official binary folder"), data.source());
            assertEquals(Cifar10.Kind.BINARY_FOLDER, Cifar10.resolve(given).kind());
        }
        assertSameImages(train, Cifar10.load(batches, Cifar10.Expected.ANY, 1).train());
    }

    @Test
    void binaryArchiveReadsWithoutUnpacking() throws IOException {
        Path batches = CifarFixtures.writeBinary(tmp.resolve("src"), train, test);
        Path archive = CifarFixtures.tarGz(batches, tmp.resolve("cifar-10-binary.tar.gz"), true);
        Cifar10Data data = Cifar10.load(archive, TINY, 2);
        assertSameImages(train, data.train());
        assertSameImages(test, data.test());
        assertTrue(data.source().startsWith("official binary archive"), data.source());
    }

    @Test
    void pngFolderAndArchiveArePixelExact() throws IOException {
        Path root = tmp.resolve("tiny");
        CifarFixtures.writeImageFolder(root, train, test, "png");
        ImageSet wantTrain = CifarFixtures.sortedByLabel(train), wantTest = CifarFixtures.sortedByLabel(test);

        Cifar10Data fromFolder = Cifar10.load(root, TINY, 2);
        assertSameImages(wantTrain, fromFolder.train());
        assertSameImages(wantTest, fromFolder.test());
        assertTrue(fromFolder.source().contains("image-folder tree"), fromFolder.source());

        Path archive = CifarFixtures.tarGz(root, tmp.resolve("tiny.tar.gz"), false);
        Cifar10Data fromArchive = Cifar10.load(archive, TINY, 3);
        assertSameImages(wantTrain, fromArchive.train());
        assertSameImages(wantTest, fromArchive.test());
        assertTrue(fromArchive.source().contains("image-folder archive"), fromArchive.source());
    }

    @Test
    void jpegDecodesLikeAnIndependentImageIoRead() throws IOException {
        Path root = tmp.resolve("jpeg");
        CifarFixtures.writeImageFolder(root, train, test, "jpg");
        ImageSet loaded = Cifar10.load(root, TINY, 2).train();
        // Image 0 of the loaded set is airplane/0000.jpg; decode it through getRGB instead.
        BufferedImage image = ImageIO.read(root.resolve("train/airplane/0000.jpg").toFile());
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int rgb = image.getRGB(x, y), p = y * 32 + x;
                assertEquals((rgb >> 16) & 0xFF, loaded.pixels()[p] & 0xFF, "R at " + x + "," + y);
                assertEquals((rgb >> 8) & 0xFF, loaded.pixels()[1024 + p] & 0xFF, "G at " + x + "," + y);
                assertEquals(rgb & 0xFF, loaded.pixels()[2048 + p] & 0xFF, "B at " + x + "," + y);
            }
        }
        assertArrayEquals(CifarFixtures.sortedByLabel(train).labels(), loaded.labels());
        // The same files from a .tar.gz decode to the same bytes.
        Path archive = CifarFixtures.tarGz(root, tmp.resolve("jpeg.tar.gz"), true);
        assertSameImages(loaded, Cifar10.load(archive, TINY, 2).train());
    }

    @Test
    void greyIsCopiedToEveryChannelAndAlphaIsDropped() throws IOException {
        Path root = tmp.resolve("modes");
        CifarFixtures.writeImageFolder(root, train, test, "png");
        BufferedImage grey = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage rgba = new BufferedImage(32, 32, BufferedImage.TYPE_4BYTE_ABGR);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                grey.getRaster().setSample(x, y, 0, (y * 32 + x) % 256);
                rgba.getRaster().setPixel(x, y, new int[] {x * 8, y * 8, 100, 7}); // R, G, B, nearly transparent
            }
        }
        CifarFixtures.writeImage(root.resolve("train/airplane/0000.png"), grey, "png");
        CifarFixtures.writeImage(root.resolve("train/airplane/0001.png"), rgba, "png");
        ImageSet loaded = Cifar10.load(root, TINY, 1).train();
        for (int p = 0; p < 1024; p++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(p % 256, loaded.pixels()[c * 1024 + p] & 0xFF, "grey channel " + c + " pixel " + p);
            }
            int x = p % 32, y = p / 32, second = Cifar10.IMAGE_BYTES;
            assertEquals(x * 8, loaded.pixels()[second + p] & 0xFF);
            assertEquals(y * 8, loaded.pixels()[second + 1024 + p] & 0xFF);
            assertEquals(100, loaded.pixels()[second + 2048 + p] & 0xFF);
        }
    }

    @Test
    void greyJpegIsCopiedToEveryChannel() throws IOException {
        Path root = tmp.resolve("greyjpeg");
        CifarFixtures.writeImageFolder(root, train, test, "jpg");
        BufferedImage grey = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
        for (int p = 0; p < 1024; p++) {
            grey.getRaster().setSample(p % 32, p / 32, 0, (p * 5) % 256);
        }
        Path file = root.resolve("test/truck/0000.jpg");
        CifarFixtures.writeImage(file, grey, "jpg");
        ImageSet loaded = Cifar10.load(root, TINY, 2).test();
        int last = loaded.size() - 1; // the only truck
        var decoded = ImageIO.read(file.toFile()).getRaster();
        for (int p = 0; p < 1024; p++) {
            int want = decoded.getSample(p % 32, p / 32, 0);
            for (int c = 0; c < 3; c++) {
                assertEquals(want, loaded.pixels()[last * 3072 + c * 1024 + p] & 0xFF, "channel " + c + " pixel " + p);
            }
        }
    }

    @Test
    void resolverFindsUnpackedFolderOrSingleArchiveInsideAFolder() throws IOException {
        Path holder = tmp.resolve("holder");
        CifarFixtures.writeImageFolder(holder.resolve("cifar10-png"), train, test, "png");
        Cifar10.Source inner = Cifar10.resolve(holder);
        assertEquals(Cifar10.Kind.IMAGE_FOLDER, inner.kind());
        assertEquals(holder.resolve("cifar10-png"), inner.path());

        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("README.md"), "how to get CIFAR-10");
        CifarFixtures.tarGz(holder.resolve("cifar10-png"), data.resolve("cifar10-png.tar.gz"), true);
        Cifar10.Source archive = Cifar10.resolve(data);
        assertEquals(Cifar10.Kind.ARCHIVE, archive.kind());
        assertSameImages(CifarFixtures.sortedByLabel(test), Cifar10.load(data, TINY, 2).test());
    }

    @Test
    void sampleIsSeededSortedAndCopied() {
        ImageSet a = train.sample(7, 42);
        assertEquals(7, a.size());
        assertTrue(a.name().contains("sample of 7"));
        // Each sampled image is a distinct original, with its label, in the original order.
        int previous = -1;
        for (int i = 0; i < a.size(); i++) {
            int found = -1;
            for (int j = 0; j < train.size() && found < 0; j++) {
                if (java.util.Arrays.equals(a.pixels(), i * 3072, (i + 1) * 3072, train.pixels(), j * 3072, (j + 1) * 3072)
                        && a.labels()[i] == train.labels()[j]) {
                    found = j;
                }
            }
            assertTrue(found > previous, "sampled image " + i + " is not a later original than image " + (i - 1));
            previous = found;
        }
        // The seed chooses: another seed, another subset; all of them, the set itself.
        assertTrue(!java.util.Arrays.equals(a.pixels(), train.sample(7, 43).pixels()), "seeds 42 and 43 drew the same");
        assertArrayEquals(train.pixels(), train.sample(train.size(), 42).pixels());

    }
}
