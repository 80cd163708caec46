package io.github.djladapters.finetune;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Reads labelled texts from JSON Lines ({@code .jsonl}: one {@code {"text": ..., "label": ...}}
 * object per line) or CSV ({@code .csv}: a header row naming the columns, fields quoted with
 * {@code "} when they hold commas or quotes, a quote inside written twice).
 *
 * <pre>{@code
 * List<LabelledText> train = LabelledTextFiles.read(Path.of("data/reviews/train.jsonl"), "text", "label");
 * }</pre>
 */
public final class LabelledTextFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LabelledTextFiles() {}

    /**
     * Reads a {@code .jsonl} or {@code .csv} file, chosen by its extension.
     *
     * @param file the data file
     * @param textField the field or column holding the text
     * @param labelField the field or column holding the label
     * @return the examples in file order
     * @throws IOException when the file cannot be read, has an unknown extension, or a line lacks a field
     */
    public static List<LabelledText> read(Path file, String textField, String labelField) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("data file not found: " + file);
        }
        return parse(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8), textField, labelField);
    }

    /**
     * Parses the lines of a {@code .jsonl} or {@code .csv} file, chosen by the extension of
     * {@code source}; for data read from the class path.
     *
     * @param source the file's name, for the format and for messages
     * @param lines the file's lines
     * @param textField the field or column holding the text
     * @param labelField the field or column holding the label
     * @return the examples in file order
     * @throws IOException when the format is unknown, a line is malformed or there are no examples
     */
    public static List<LabelledText> parse(String source, List<String> lines, String textField, String labelField)
            throws IOException {
        String name = source.toLowerCase(Locale.ROOT);
        List<LabelledText> examples;
        if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            examples = readJsonLines(source, lines, textField, labelField);
        } else if (name.endsWith(".csv")) {
            examples = readCsv(source, lines, textField, labelField);
        } else {
            throw new IOException(source + ": unknown data format; use a .jsonl or .csv file");
        }
        if (examples.isEmpty()) {
            throw new IOException(source + ": no examples");
        }
        return examples;
    }

    /**
     * The distinct labels in sorted order; a label's index is its class id.
     *
     * @param examples the examples
     * @return the sorted label names
     */
    public static List<String> labels(List<LabelledText> examples) {
        TreeSet<String> labels = new TreeSet<>();
        examples.forEach(example -> labels.add(example.label()));
        return List.copyOf(labels);
    }

    private static List<LabelledText> readJsonLines(String file, List<String> lines, String textField,
            String labelField) throws IOException {
        List<LabelledText> examples = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IOException(file + ":" + (i + 1) + ": not a JSON object: " + e.getOriginalMessage());
            }
            examples.add(new LabelledText(field(file, i, node, textField), field(file, i, node, labelField)));
        }
        return examples;
    }

    private static String field(String file, int line, JsonNode node, String name) throws IOException {
        JsonNode value = node.get(name);
        if (value == null || value.isNull() || value.isContainerNode()) {
            throw new IOException(file + ":" + (line + 1) + ": no field '" + name + "'");
        }
        return value.asText();
    }

    private static List<LabelledText> readCsv(String file, List<String> lines, String textField, String labelField)
            throws IOException {
        if (lines.isEmpty()) {
            throw new IOException(file + ": empty; the first line names the columns");
        }
        List<String> header = csvFields(lines.get(0));
        int text = header.indexOf(textField);
        int label = header.indexOf(labelField);
        if (text < 0 || label < 0) {
            throw new IOException(file + ": the header " + header + " lacks column '"
                    + (text < 0 ? textField : labelField) + "'");
        }
        List<LabelledText> examples = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            List<String> fields = csvFields(lines.get(i));
            if (fields.size() <= Math.max(text, label)) {
                throw new IOException(file + ":" + (i + 1) + ": " + fields.size() + " columns, expected "
                        + header.size());
            }
            examples.add(new LabelledText(fields.get(text), fields.get(label)));
        }
        return examples;
    }

    /** Splits one CSV line (RFC 4180 quoting; fields do not span lines). */
    static List<String> csvFields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString().strip());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString().strip());
        return fields;
    }
}
