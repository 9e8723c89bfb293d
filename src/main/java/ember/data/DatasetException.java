package ember.data;

import java.io.IOException;

/**
 * A dataset that cannot be used as it is: a missing folder or file, a batch file of the wrong
 * size, a label out of range, an image that does not decode or has the wrong size. The message
 * always names the file (or archive entry) and says what is wrong, so the command line can print
 * it as is.
 */
public final class DatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "{where}: {what}", the one message shape of this package. */
    static DatasetException at(Object where, String what) {
        return new DatasetException(where + ": " + what);
    }
}
