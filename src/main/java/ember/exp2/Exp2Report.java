package ember.exp2;

import ember.io.AtomicFiles;
import ember.io.Figures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** exp2's per-epoch outputs: the CSV log and the accuracy / loss figure, rewritten after every epoch. */
public final class Exp2Report {
    private Exp2Report() {}

    public static void writeCsv(Path csv, List<EpochResult> epochs) throws IOException {
        StringBuilder text = new StringBuilder(EpochResult.CSV_HEADER).append('\n');
        for (EpochResult e : epochs) {
            text.append(e.csv()).append('\n');
        }
        AtomicFiles.write(csv, out -> out.write(text.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** Train and test accuracy (left) and loss (right) per epoch: the lab's test-accuracy trend. */
    public static void writeFigure(Path png, String title, List<EpochResult> epochs) throws IOException {
        double[] x = epochs.stream().mapToDouble(EpochResult::epoch).toArray();
        XYChart accuracy = chart(title + ": accuracy", "accuracy (%)");
        accuracy.addSeries("train", x, epochs.stream().mapToDouble(e -> 100 * e.train().accuracy()).toArray());
        accuracy.addSeries("test", x, epochs.stream().mapToDouble(e -> 100 * e.test().accuracy()).toArray());
        XYChart loss = chart(title + ": loss", "cross-entropy");
        loss.addSeries("train", x, epochs.stream().mapToDouble(e -> e.train().loss()).toArray());
        loss.addSeries("test", x, epochs.stream().mapToDouble(e -> e.test().loss()).toArray());
        Figures.savePng(png, List.of(accuracy, loss), 1, 2);
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(700).height(500).title(title).xAxisTitle("epoch").yAxisTitle(yTitle).build();
        chart.getStyler().setMarkerSize(7);
        chart.getStyler().setXAxisDecimalPattern("#");
        chart.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setSeriesMarkers(new org.knowm.xchart.style.markers.Marker[] {SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND});
        return chart;
    }
}
