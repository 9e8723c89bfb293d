package ember.io;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256, which every Java runtime must provide, without the checked exception. */
public final class Sha256 {
    private Sha256() {}

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }

    /** The hex digest of {@code bytes}. */
    public static String hex(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(newDigest().digest(bytes));
    }
}
