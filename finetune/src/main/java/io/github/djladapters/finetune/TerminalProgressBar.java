package io.github.djladapters.finetune;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.Locale;

/**
 * A one-line progress bar for training, redrawn in place with a carriage return:
 * <pre>
 * training [##############----------------]  27/58  loss 0.4120  eta 31 s
 * </pre>
 * The loss shown is the mean of the last ten steps, so the bar does not flicker with every batch.
 */
public final class TerminalProgressBar implements TrainingProgress {

    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final String label;
    private final RecentLosses recent = new RecentLosses(10);
    private int firstStep;
    private int totalSteps;
    private long startNanos;

    /**
     * A bar that prints to {@code out}.
     *
     * @param out the terminal
     * @param label the word before the bar
     */
    public TerminalProgressBar(PrintWriter out, String label) {
        this.out = out;
        this.label = label;
    }

    /**
     * A bar that prints to {@code out}.
     *
     * @param out the terminal
     * @param label the word before the bar
     */
    public TerminalProgressBar(PrintStream out, String label) {
        this(new PrintWriter(new OutputStreamWriter(out, Charset.defaultCharset())), label);
    }

    @Override
    public void started(int firstStep, int totalSteps) {
        this.firstStep = firstStep;
        this.totalSteps = totalSteps;
        this.startNanos = System.nanoTime();
        draw(firstStep - 1, Double.NaN);
    }

    @Override
    public void stepped(int step, float loss) {
        draw(step, recent.add(loss));
    }

    @Override
    public void finished() {
        out.println();
        out.flush();
    }

    private void draw(int step, double loss) {
        int filled = totalSteps == 0 ? WIDTH : (int) ((long) WIDTH * step / totalSteps);
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        int done = step - firstStep + 1;
        String time = done <= 0 ? "" : step >= totalSteps
                ? String.format(Locale.ROOT, "  %.0f s", seconds)
                : String.format(Locale.ROOT, "  eta %.0f s", seconds / done * (totalSteps - step));
        String lossText = Double.isNaN(loss) ? "" : String.format(Locale.ROOT, "  loss %.4f", loss);
        String width = String.valueOf(String.valueOf(totalSteps).length());
        out.printf(Locale.ROOT, "\r%s [%s%s] %" + width + "d/%d%s%s   ", label, "#".repeat(filled),
                "-".repeat(WIDTH - filled), step, totalSteps, lossText, time);
        out.flush();
    }

    /** The mean of the last few losses. */
    private static final class RecentLosses {
        private final float[] values;
        private int count;

        RecentLosses(int size) {
            values = new float[size];
        }

        double add(float value) {
            values[count++ % values.length] = value;
            int n = Math.min(count, values.length);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += values[i];
            }
            return sum / n;
        }
    }
}
