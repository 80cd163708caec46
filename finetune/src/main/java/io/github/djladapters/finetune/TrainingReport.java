package io.github.djladapters.finetune;

import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes what a training run did next to its adapter: {@value #CHART_FILE}, the loss of every step
 * and its running mean drawn with XChart, and {@value #HTML_FILE}, a page with the run's facts and
 * the chart.
 */
public final class TrainingReport {

    /** The loss curve image. */
    public static final String CHART_FILE = "loss_curve.png";
    /** The report page. */
    public static final String HTML_FILE = "report.html";

    private final String title;
    private final Map<String, String> facts = new LinkedHashMap<>();

    /**
     * An empty report.
     *
     * @param title the page heading
     */
    public TrainingReport(String title) {
        this.title = title;
    }

    /**
     * Adds one row to the facts table, in order.
     *
     * @param name what it is, such as {@code held-out accuracy after}
     * @param value its value
     * @return this report
     */
    public TrainingReport fact(String name, String value) {
        facts.put(name, value);
        return this;
    }

    /**
     * Writes the chart and the page.
     *
     * @param dir the output directory, created when missing
     * @param history the losses to draw
     * @return the page's path
     * @throws IOException when writing fails
     */
    public Path write(Path dir, TrainingHistory history) throws IOException {
        Files.createDirectories(dir);
        System.setProperty("java.awt.headless", "true"); // draw into an image, never open a window
        BitmapEncoder.saveBitmap(chart(history), dir.resolve(CHART_FILE).toString(), BitmapEncoder.BitmapFormat.PNG);
        Path page = dir.resolve(HTML_FILE);
        Files.writeString(page, html(), StandardCharsets.UTF_8);
        return page;
    }

    private static XYChart chart(TrainingHistory history) {
        XYChart chart = new XYChartBuilder().width(800).height(450).title("Training loss")
                .xAxisTitle("step").yAxisTitle("cross-entropy").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        List<Float> losses = history.losses();
        List<Integer> steps = new ArrayList<>();
        List<Double> smooth = new ArrayList<>();
        double running = Double.NaN;
        for (int i = 0; i < losses.size(); i++) {
            steps.add(i + 1);
            running = Double.isNaN(running) ? losses.get(i) : 0.8 * running + 0.2 * losses.get(i);
            smooth.add(running);
        }
        if (steps.isEmpty()) { // XChart refuses empty series
            steps.add(0);
            smooth.add(0.0);
            losses = List.of(0f);
        }
        XYSeries raw = chart.addSeries("batch loss", steps, losses);
        raw.setMarker(SeriesMarkers.CIRCLE);
        raw.setMarkerColor(new Color(160, 180, 220));
        raw.setLineColor(new Color(160, 180, 220));
        XYSeries mean = chart.addSeries("running mean", steps, smooth);
        mean.setMarker(SeriesMarkers.NONE);
        mean.setLineColor(new Color(20, 60, 160));
        return chart;
    }

    private String html() {
        StringBuilder rows = new StringBuilder();
        facts.forEach((name, value) -> rows.append("    <tr><th>").append(escape(name)).append("</th><td>")
                .append(escape(value)).append("</td></tr>\n"));
        return """
                <!DOCTYPE html>
                <html lang="en">
                <head>
                  <meta charset="utf-8">
                  <title>%1$s</title>
                  <style>
                    body { font-family: sans-serif; max-width: 860px; margin: 2em auto; color: #222; }
                    table { border-collapse: collapse; margin-bottom: 1.5em; }
                    th, td { text-align: left; padding: 4px 12px; border-bottom: 1px solid #ddd; }
                    th { font-weight: normal; color: #555; }
                    td { font-family: monospace; }
                  </style>
                </head>
                <body>
                  <h1>%1$s</h1>
                  <table>
                %2$s  </table>
                  <img src="%3$s" alt="training loss per step" width="800">
                </body>
                </html>
                """.formatted(escape(title), rows, CHART_FILE);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
