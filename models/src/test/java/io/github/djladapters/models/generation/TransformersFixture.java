package io.github.djladapters.models.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoder fixture under {@code /fixtures/<name>/}: the checkpoint written by transformers and
 * the logits and greedy generations transformers computed on it ({@code expected.json}).
 */
public final class TransformersFixture {

    private final Path dir;
    private final JsonNode expected;

    private TransformersFixture(Path dir, JsonNode expected) {
        this.dir = dir;
        this.expected = expected;
    }

    /** Opens {@code /fixtures/<name>/expected.json} from the test class path. */
    public static TransformersFixture open(String name) throws IOException, URISyntaxException {
        Path dir = Path.of(TransformersFixture.class.getResource("/fixtures/" + name + "/expected.json").toURI())
                .getParent();
        return new TransformersFixture(dir, new ObjectMapper().readTree(dir.resolve("expected.json").toFile()));
    }

    /** The base checkpoint directory. */
    public Path base() {
        return dir.resolve("base");
    }

    /** The PEFT adapter directory. */
    public Path lora() {
        return dir.resolve("lora");
    }

    /** The prompts, one per case (each case holds a batch of one). */
    public List<int[]> prompts() {
        List<int[]> prompts = new ArrayList<>();
        for (JsonNode c : expected.get("cases")) {
            JsonNode ids = c.get("input_ids").get(0);
            int[] row = new int[ids.size()];
            for (int i = 0; i < row.length; i++) {
                row[i] = ids.get(i).asInt();
            }
            prompts.add(row);
        }
        return prompts;
    }

    /** The logits transformers computed for case {@code index}, flattened {@code [seq * vocab]}. */
    public float[] logits(String key, int index) {
        JsonNode rows = expected.get(key).get(index).get(0);
        int vocab = rows.get(0).size();
        float[] out = new float[rows.size() * vocab];
        for (int t = 0; t < rows.size(); t++) {
            for (int v = 0; v < vocab; v++) {
                out[t * vocab + v] = (float) rows.get(t).get(v).asDouble();
            }
        }
        return out;
    }

    /** The greedy tokens transformers generated for case {@code index}. */
    public int[] generated(String key, int index) {
        JsonNode row = expected.get(key).get(index);
        int[] out = new int[row.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = row.get(i).asInt();
        }
        return out;
    }

    /** The largest absolute difference between our logits and transformers' over all cases. */
    public double maxLogitDifference(CausalLanguageModel model, NDManager manager, String key) {
        double worst = 0;
        List<int[]> prompts = prompts();
        for (int i = 0; i < prompts.size(); i++) {
            int[] prompt = prompts.get(i);
            try (NDManager scope = manager.newSubManager()) {
                NDArray ids = scope.create(toLongs(prompt), new Shape(1, prompt.length));
                NDArray logits = model.forward(new ParameterStore(scope, false), new NDList(ids), false).head();
                float[] ours = logits.toFloatArray();
                float[] theirs = logits(key, i);
                assertArrayEquals(new long[] {1, prompt.length, model.vocabSize()}, logits.getShape().getShape());
                for (int j = 0; j < ours.length; j++) {
                    worst = Math.max(worst, Math.abs(ours[j] - theirs[j]));
                }
            }
        }
        return worst;
    }

    static long[] toLongs(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
