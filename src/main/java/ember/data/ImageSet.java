package ember.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Labelled CIFAR-size images in memory: image {@code i} is the 3072 bytes at
 * {@code pixels[i * 3072 ..]}, three 32×32 planes R, G, B, rows top to bottom (CHW, uint8, as
 * in the official binary), and its class is {@code labels[i]} in [0, 10).
 *
 * <p>The arrays are shared, not copied: treat them as read-only.
 *
 * @param name   what the set is, for messages: "train", "test", "train (sample of 2000)"
 * @param pixels size × 3072 bytes
 * @param labels size class indices
 */
public record ImageSet(String name, byte[] pixels, int[] labels) {
    public ImageSet {
        if ((long) labels.length * Cifar10.IMAGE_BYTES != pixels.length) {
            throw new IllegalArgumentException(name + ": " + pixels.length + " pixel bytes for "
                    + labels.length + " labels, expected " + (long) labels.length * Cifar10.IMAGE_BYTES);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= Cifar10.CLASSES.size()) {
                throw new IllegalArgumentException(name + ": label " + labels[i] + " of image " + i
                        + " is outside 0.." + (Cifar10.CLASSES.size() - 1));
            }
        }
    }

    /**
     * Random pixels, labels cycling through the classes (label = i mod 10, so every class
     * appears): data of CIFAR-10's shape for tests and timings.
     */
    public static ImageSet random(String name, int count, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        byte[] pixels = new byte[count * Cifar10.IMAGE_BYTES];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) random.nextInt(256);
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i % Cifar10.CLASSES.size();
        }
        return new ImageSet(name, pixels, labels);
    }

    /** Number of images. */
    public int size() {
        return labels.length;
    }

    /**
     * A seeded random subset of {@code count} images, kept in their original order (e.g. 2,000
     * training images for a quick run; the first 2,000 of a sorted image folder would all be
     * airplanes). Copies the pixels.
     */
    public ImageSet sample(int count, long seed) {
        if (count < 0 || count > size()) {
            throw new IllegalArgumentException("cannot sample " + count + " of the " + size() + " images of " + name);
        }
        // The first count entries of a seeded Fisher-Yates shuffle, then sorted.
        int[] order = new int[size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(order.length - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] chosen = Arrays.copyOf(order, count);
        Arrays.sort(chosen);
        byte[] subPixels = new byte[count * Cifar10.IMAGE_BYTES];
        int[] subLabels = new int[count];
        for (int i = 0; i < count; i++) {
            System.arraycopy(pixels, chosen[i] * Cifar10.IMAGE_BYTES, subPixels, i * Cifar10.IMAGE_BYTES, Cifar10.IMAGE_BYTES);
            subLabels[i] = labels[chosen[i]];
        }
        return new ImageSet(name + " (sample of " + count + ")", subPixels, subLabels);
    }

    @Override
    public String toString() {
        return "ImageSet[" + name + ", " + size() + " images]";
    }
}
