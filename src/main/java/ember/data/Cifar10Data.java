package ember.data;

/**
 * Both splits of CIFAR-10 as loaded, with what was read and how long it took.
 *
 * @param train       the training split (50,000 images in the official set)
 * @param test        the test split (10,000)
 * @param source      what was found, e.g. "image-folder archive /x/cifar10-jpeg.tar.gz"
 * @param loadSeconds wall time of reading and decoding
 */
public record Cifar10Data(ImageSet train, ImageSet test, String source, double loadSeconds) {

    /**
     * SHA-256 of both splits' labels and pixels, as hex: the dataset's identity by content, so the
     * same images in another layout (binary, image folders, an archive) are the same dataset.
     */
    public String digest() {
        java.security.MessageDigest sha = ember.io.Sha256.newDigest();
        for (ImageSet set : new ImageSet[] {train, test}) {
            byte[] labels = new byte[set.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = (byte) set.labels()[i];
            }
            sha.update((set.size() + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            sha.update(labels);
            sha.update(set.pixels());
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    /** One line for logs: what was found, the split sizes and the load time. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "CIFAR-10 from %s: %d train + %d test images, loaded in %.2f s",
                source, train.size(), test.size(), loadSeconds);
    }
}
