package ember.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

class FiguresTest {
    @TempDir
    Path dir;

    @Test
    void writesChartsSideBySide() throws IOException {
        Path png = dir.resolve("sub").resolve("two.png");
        Figures.savePng(png, List.of(chart(300, 200), chart(300, 200)), 1, 2);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(600, image.getWidth());
        assertEquals(200, image.getHeight());
    }

    /** What a machine without fonts does (AWT throws while XChart measures text) names file and cure. */
    @Test
    void drawingFailureNamesFileCauseAndCure() {
        Path png = dir.resolve("fit.png");
        XYChart fontless = new XYChart(300, 200) {
            @Override
            public void paint(Graphics2D g, int width, int height) {
                throw new RuntimeException("Fontconfig head is null, check your fonts or fonts configuration");
            }
        };
        fontless.addSeries("y", new double[] {0, 1}, new double[] {1, 2});
        Figures.FigureException e = assertThrows(Figures.FigureException.class,
                () -> Figures.savePng(png, List.of(fontless), 1, 1));
        assertTrue(e.getMessage().startsWith(png + " not written"), e.getMessage());
        assertTrue(e.getMessage().contains("Fontconfig head is null"), e.getMessage());
        assertTrue(e.getMessage().contains("fonts-dejavu-core"), e.getMessage());
        assertFalse(Files.exists(png));
    }

    private static XYChart chart(int width, int height) {
        XYChart chart = new XYChart(width, height);
        chart.addSeries("y", new double[] {0, 1, 2}, new double[] {1, 4, 9});
        return chart;
    }
}
