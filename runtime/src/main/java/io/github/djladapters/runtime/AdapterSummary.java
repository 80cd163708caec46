package io.github.djladapters.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The adapters library's {@code adapter_summary()} table: one row per adapter (name, architecture,
 * parameter count, percentage of the base model, active, trainable), then the full model.
 *
 * @param rows the adapter rows, in the order the adapters were added
 * @param baseParameters parameters of the base model, adapters excluded
 * @param baseTrainable whether every base parameter is trainable
 */
public record AdapterSummary(List<Row> rows, long baseParameters, boolean baseTrainable) {

    private static final int WIDTH = 80;

    /**
     * One adapter.
     *
     * @param name the adapter name
     * @param architecture for example {@code lora}
     * @param parameters its parameter count
     * @param active whether forward applies it
     * @param train whether every one of its parameters is trainable
     */
    public record Row(String name, String architecture, long parameters, boolean active, boolean train) {}

    /** Copies the rows. */
    public AdapterSummary {
        rows = List.copyOf(rows);
    }

    /**
     * The table, formatted as the adapters library prints it.
     *
     * @return the table, lines separated by {@code \n}
     */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        lines.add("=".repeat(WIDTH));
        lines.add(String.format(Locale.ROOT, "%-25s%-15s%12s%12s%8s%8s", "Name", "Architecture", "#Param", "%Param",
                "Active", "Train"));
        lines.add("-".repeat(WIDTH));
        for (Row row : rows) {
            double percent = baseParameters == 0 ? 0 : row.parameters() / (double) baseParameters * 100;
            lines.add(line(row.name(), row.architecture(), row.parameters(), percent, flag(row.active()),
                    flag(row.train())));
        }
        lines.add("-".repeat(WIDTH));
        lines.add(line("Full model", "", baseParameters, 100.0, "", flag(baseTrainable)));
        lines.add("=".repeat(WIDTH));
        return String.join("\n", lines);
    }

    private static String line(String name, String architecture, long parameters, double percent, String active,
            String train) {
        return String.format(Locale.ROOT, "%-25s%-15s%,12d%12s%8s%8s", name, architecture, parameters,
                TrainableParameters.pythonFixed(percent, 3), active, train);
    }

    /** Python formats a bool with a width as an int. */
    private static String flag(boolean value) {
        return value ? "1" : "0";
    }
}
