package ember.exp1;

import ember.io.Figures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** exp1's figures: fitted curves drawn over the target, with XChart. */
public final class Exp1Plots {
    private Exp1Plots() {}

    /** One fitted curve (null prediction = diverged, shown only in the legend's absence). */
    public record Curve(String label, float[] prediction) {}

    /** One run's training loss per step, up to the step where it stopped being finite when it diverged. */
    public record LossCurve(String label, float[] losses) {}

    /** Target, training samples and fitted curves over the grid, written as a PNG. */
    public static void write(Path png, String title, Exp1Data data, List<Curve> curves) throws IOException {
        Figures.savePng(png, List.of(fits(title, data, curves)), 1, 1);
    }

    /**
     * The fits beside every run's loss against the step on a log scale, diverged runs included
     * up to where they blew up: what a learning-rate sweep shows.
     */
    public static void write(Path png, String title, Exp1Data data, List<Curve> curves, List<LossCurve> losses)
            throws IOException {
        XYChart lossChart = new XYChartBuilder().width(1000).height(650).title("training loss (MSE) per step")
                .xAxisTitle("step").yAxisTitle("loss, log scale").build();
        lossChart.getStyler().setYAxisLogarithmic(true).setMarkerSize(0)
                .setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        for (LossCurve curve : losses) {
            // A log axis takes only positive, finite values: a diverged run stops at its last one.
            int n = 0;
            while (n < curve.losses().length && Float.isFinite(curve.losses()[n]) && curve.losses()[n] > 0) {
                n++;
            }
            if (n == 0) {
                continue;
            }
            double[] steps = new double[n], values = new double[n];
            for (int i = 0; i < n; i++) {
                steps[i] = i + 1;
                values[i] = curve.losses()[i];
            }
            lossChart.addSeries(curve.label(), steps, values).setMarker(SeriesMarkers.NONE).setLineWidth(1.2f);
        }
        Figures.savePng(png, List.of(fits(title, data, curves), lossChart), 1, 2);
    }

    private static XYChart fits(String title, Exp1Data data, List<Curve> curves) {
        XYChart chart = new XYChartBuilder().width(1000).height(650).title(title)
                .xAxisTitle("x").yAxisTitle("y").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideN);
        chart.getStyler().setMarkerSize(3);
        XYSeries samples = chart.addSeries("training samples", toDouble(data.sampleX()), toDouble(data.sampleY()));
        samples.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        samples.setMarkerColor(new java.awt.Color(0, 0, 0, 40));
        chart.addSeries("target f(x)", toDouble(data.gridX()), toDouble(data.gridY()))
                .setMarker(SeriesMarkers.NONE).setLineColor(java.awt.Color.BLACK).setLineWidth(3f);
        for (Curve curve : curves) {
            if (curve.prediction() != null) {
                chart.addSeries(curve.label(), toDouble(data.gridX()), toDouble(curve.prediction()))
                        .setMarker(SeriesMarkers.NONE).setLineWidth(1.5f);
            }
        }
        // A wild fit must not squash the target into a flat line: keep the axis on the target.
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (float y : data.gridY()) {
            min = Math.min(min, y);
            max = Math.max(max, y);
        }
        double margin = 0.15 * (max - min) + 1e-3;
        chart.getStyler().setYAxisMin(min - margin).setYAxisMax(max + margin);
        return chart;
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
