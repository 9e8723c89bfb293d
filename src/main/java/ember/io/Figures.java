package ember.io;

import java.awt.AWTError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * Writes XChart figures as PNG files, atomically. Drawing text needs fonts: a server without
 * fontconfig or any font (the GPU machines have none) makes AWT throw from deep inside XChart.
 * That becomes a {@link FigureException} naming the file, the cause and the cure, so a training
 * run can say so and keep its weights and numbers.
 */
public final class Figures {
    private Figures() {}

    /** A figure that could not be drawn on this machine; its message names the file and the cure. */
    public static final class FigureException extends IOException {
        FigureException(Path png, Throwable cause) {
            super(png + " not written: Java cannot draw text here (" + cause.getClass().getSimpleName() + ": "
                    + cause.getMessage() + "); install fontconfig and a font (Debian/Ubuntu: "
                    + "apt install fontconfig fonts-dejavu-core)", cause);
        }
    }

    /** The charts in a grid of rows × columns, in one PNG. */
    public static <T extends Chart<?, ?>> void savePng(Path png, List<T> charts, int rows, int columns) throws IOException {
        try {
            // Atomic: a figure that fails half-way leaves the last good one, not an empty file.
            AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(charts, rows, columns, out, BitmapEncoder.BitmapFormat.PNG));
        } catch (RuntimeException | LinkageError | AWTError | InternalError e) {
            // Seen on a font-less GPU machine: RuntimeException "Fontconfig head is null". A missing
            // libfreetype is a LinkageError, a broken toolkit an AWTError or InternalError.
            throw new FigureException(png, e);
        }
    }
}
