package ember.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes one JPEG or PNG into 3072 CHW bytes with javax.imageio, checking the size. Owns one
 * reader per format, so one decoder belongs to one thread at a time; reusing it saves the
 * reader lookup per image. The format is taken from the file's first bytes, not its name.
 *
 * <p>Colour conversion follows PIL's {@code convert("RGB")} (what the reference uses): grey is
 * copied to all three channels and alpha is dropped, not blended.
 */
final class ImageDecoder implements AutoCloseable {
    private final ImageReader jpeg = reader("jpeg");
    private final ImageReader png = reader("png");
    /** Colour JPEGs decode into this one image: saves an allocation and a fifth of the time. */
    private final BufferedImage jpegTarget = new BufferedImage(Cifar10.WIDTH, Cifar10.HEIGHT, BufferedImage.TYPE_3BYTE_BGR);
    private final ImageReadParam jpegParam = jpeg.getDefaultReadParam();
    /**
     * What the reader warned about while decoding the current image. A JPEG cut short or with
     * damaged scan data decodes "successfully", the missing rows grey, and says so only here.
     */
    private final List<String> warnings = new ArrayList<>();

    ImageDecoder() {
        jpegParam.setDestination(jpegTarget);
        jpeg.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        png.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
    }

    private static ImageReader reader(String format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
        if (!readers.hasNext()) {
            throw new IllegalStateException("this JVM has no javax.imageio reader for " + format);
        }
        return readers.next();
    }

    /**
     * Decodes {@code bytes} into {@code out[offset .. offset + 3072)}.
     *
     * @param where the file, for messages
     * @throws DatasetException when the image does not decode, decodes with a warning (damaged
     *                          data), fails a PNG chunk checksum, or is not 32×32
     */
    void decode(byte[] bytes, Object where, byte[] out, int offset) throws DatasetException {
        ImageReader reader = isJpeg(bytes) ? jpeg : isPng(bytes) ? png : null;
        if (reader == null) {
            throw DatasetException.at(where, "unreadable image: neither JPEG nor PNG data ("
                    + bytes.length + " bytes)");
        }
        if (reader == png) {
            PngChunks.verify(bytes, where);
        }
        warnings.clear();
        BufferedImage image;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            int w = reader.getWidth(0), h = reader.getHeight(0);
            if (w != Cifar10.WIDTH || h != Cifar10.HEIGHT) {
                throw DatasetException.at(where, "wrong image size " + w + "x" + h + ", expected "
                        + Cifar10.WIDTH + "x" + Cifar10.HEIGHT);
            }
            image = reader == jpeg && isColour(reader.getRawImageType(0)) ? reader.read(0, jpegParam) : reader.read(0);
        } catch (DatasetException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new DatasetException(where + ": unreadable image (" + reason + ")", e);
        } finally {
            reader.setInput(null);
        }
        if (!warnings.isEmpty()) {
            throw DatasetException.at(where, "unreadable image: the data is damaged (the decoder warns \"" + warnings.getFirst() + "\")");
        }
        copyPixels(image, out, offset);
    }

    private static boolean isColour(ImageTypeSpecifier raw) {
        return raw != null && raw.getBufferedImageType() == BufferedImage.TYPE_3BYTE_BGR;
    }

    private static boolean isJpeg(byte[] b) {
        return b.length > 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF;
    }

    private static boolean isPng(byte[] b) {
        return b.length > 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G';
    }

    /** Planar RGB from the common 8-bit layouts directly; anything else through getRGB. */
    private static void copyPixels(BufferedImage image, byte[] out, int offset) {
        final int plane = Cifar10.HEIGHT * Cifar10.WIDTH;
        int type = isPlainRaster(image) ? image.getType() : BufferedImage.TYPE_CUSTOM;
        switch (type) {
            case BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR -> {
                int stride = image.getType() == BufferedImage.TYPE_3BYTE_BGR ? 3 : 4;
                int base = stride - 3; // skip alpha: memory order is [A] B G R
                byte[] data = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
                for (int p = 0; p < plane; p++) {
                    int s = p * stride + base;
                    out[offset + p] = data[s + 2];
                    out[offset + plane + p] = data[s + 1];
                    out[offset + 2 * plane + p] = data[s];
                }
            }
            case BufferedImage.TYPE_BYTE_GRAY -> {
                // The raster holds the stored grey values; getRGB would apply a gamma change.
                byte[] data = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
                for (int c = 0; c < Cifar10.CHANNELS; c++) {
                    System.arraycopy(data, 0, out, offset + c * plane, plane);
                }
            }
            default -> {
                for (int y = 0; y < Cifar10.HEIGHT; y++) {
                    for (int x = 0; x < Cifar10.WIDTH; x++) {
                        int rgb = image.getRGB(x, y);
                        int p = y * Cifar10.WIDTH + x;
                        out[offset + p] = (byte) (rgb >>> 16);
                        out[offset + plane + p] = (byte) (rgb >>> 8);
                        out[offset + 2 * plane + p] = (byte) rgb;
                    }
                }
            }
        }
    }

    /** Whether the raster is the whole, unshared, tightly packed buffer the direct paths assume. */
    private static boolean isPlainRaster(BufferedImage image) {
        var raster = image.getRaster();
        return raster.getParent() == null && raster.getDataBuffer() instanceof DataBufferByte buffer
                && buffer.getOffset() == 0 && buffer.getNumBanks() == 1
                && raster.getSampleModel() instanceof java.awt.image.ComponentSampleModel model
                && model.getScanlineStride() == Cifar10.WIDTH * model.getPixelStride();
    }

    @Override
    public void close() {
        jpeg.dispose();
        png.dispose();
    }
}
