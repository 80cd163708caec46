package io.github.djladapters.models.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One adapter of {@code /peft/prompt-learning/} (see its README): the folder PEFT saved, PEFT's
 * outputs on the shared inputs of {@code cases.json}, and for decoders PEFT's greedy generations.
 */
final class PromptLearningFixture {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode record;
    private final JsonNode cases;

    private PromptLearningFixture(Path dir, JsonNode record, JsonNode cases) {
        this.dir = dir;
        this.record = record;
        this.cases = cases;
    }

    static Path root() throws URISyntaxException {
        return Path.of(PromptLearningFixture.class.getResource("/peft/prompt-learning/cases.json").toURI()).getParent();
    }

    static PromptLearningFixture open(String name) throws IOException, URISyntaxException {
        Path root = root();
        Path dir = root.resolve(name);
        return new PromptLearningFixture(dir, JSON.readTree(dir.resolve("outputs.json").toFile()),
                JSON.readTree(root.resolve("cases.json").toFile()));
    }

    /** The tiny decoder checkpoints these fixtures were made on. */
    static Path decoderBase(String model) throws URISyntaxException {
        return Path.of(PromptLearningFixture.class.getResource("/fixtures/" + model + "-tiny/expected.json").toURI())
                .getParent().resolve("base");
    }

    Path dir() {
        return dir;
    }

    JsonNode record() {
        return record;
    }

    /** The inputs of the BERT cases or of the decoder cases. */
    JsonNode inputs(boolean bert) {
        return cases.get(bert ? "bert" : "decoders");
    }

    /** {@code base} or {@code adapter} from {@code outputs.safetensors}. */
    NDArray output(String key, NDManager manager) throws IOException {
        return read(dir.resolve("outputs.safetensors"), key, manager);
    }

    static NDArray read(Path file, String key, NDManager manager) throws IOException {
        try (SafetensorsFile outputs = SafetensorsFile.open(file)) {
            Shape shape = outputs.tensors().get(key).shape();
            FloatBuffer values = outputs.readFloat32(key).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] copy = new float[values.remaining()];
            values.get(copy);
            return manager.create(copy, shape);
        }
    }

    /** Rows of ids as a {@code [batch, seq]} int64 array. */
    static NDArray ids(JsonNode rows, NDManager manager) {
        long[][] values = new long[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            values[r] = new long[rows.get(r).size()];
            for (int c = 0; c < values[r].length; c++) {
                values[r][c] = rows.get(r).get(c).asLong();
            }
        }
        return manager.create(values);
    }

    /** The prompts generated from, each alone. */
    List<int[]> generatePrompts() {
        return rows(cases.get("decoders").get("generate_prompts"));
    }

    /** PEFT's greedy tokens: {@code generate_base} or {@code generate_adapter}. */
    List<int[]> generated(String key) {
        return rows(record.get(key));
    }

    private static List<int[]> rows(JsonNode rows) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode row : rows) {
            int[] values = new int[row.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = row.get(i).asInt();
            }
            out.add(values);
        }
        return out;
    }

    /**
     * The largest difference between two outputs over the positions a row attends: the first
     * {@code leading} positions (virtual tokens) and the real tokens of {@code mask}.
     */
    static double maxDifference(NDArray expected, NDArray actual, JsonNode mask, long leading) {
        if (!expected.getShape().equals(actual.getShape())) {
            throw new AssertionError("shape " + actual.getShape() + ", PEFT's " + expected.getShape());
        }
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        long[] shape = expected.getShape().getShape();
        double max = 0;
        for (int b = 0; b < shape[0]; b++) {
            for (int t = 0; t < shape[1]; t++) {
                if (t >= leading && mask.get(b).get((int) (t - leading)).asInt() == 0) {
                    continue;
                }
                for (int h = 0; h < shape[2]; h++) {
                    int i = (int) ((b * shape[1] + t) * shape[2] + h);
                    max = Math.max(max, Math.abs(e[i] - a[i]));
                }
            }
        }
        return max;
    }
}
