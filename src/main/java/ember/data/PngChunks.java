package ember.data;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * The chunk structure of a PNG and each chunk's CRC, which javax.imageio does not check: a
 * flipped byte in compressed pixel data can otherwise decode to a different, valid image.
 */
final class PngChunks {
    private static final int SIGNATURE = 8;

    private PngChunks() {}

    /** Fails naming {@code where} unless every chunk up to IEND is whole and matches its CRC. */
    static void verify(byte[] png, Object where) throws DatasetException {
        ByteBuffer buf = ByteBuffer.wrap(png);
        int at = SIGNATURE;
        CRC32 crc = new CRC32();
        while (true) {
            if (at + 12 > png.length) {
                throw DatasetException.at(where, "unreadable image: damaged PNG, ends inside a chunk header (at byte " + at
                        + " of " + png.length + ") before IEND");
            }
            long length = buf.getInt(at) & 0xFFFFFFFFL;
            if (length > png.length - at - 12) {
                throw DatasetException.at(where, "unreadable image: damaged PNG, chunk at byte " + at + " claims " + length
                        + " bytes, past the end of the file (" + png.length + " bytes)");
            }
            crc.reset();
            crc.update(png, at + 4, 4 + (int) length);
            int stored = buf.getInt(at + 8 + (int) length);
            String type = new String(png, at + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if ((int) crc.getValue() != stored) {
                throw DatasetException.at(where, "unreadable image: damaged PNG, chunk '" + type + "' at byte " + at
                        + " fails its CRC");
            }
            at += 12 + (int) length;
            if (type.equals("IEND")) {
                return;
            }
        }
    }
}
