package io.github.djladapters.models.adapterslib;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.composition.Fuse;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One case under {@code /fixtures/adapters-library/}: a folder per adapter (and {@code fusion/}), and
 * {@code expected.json} with the model kind ({@code bert}, {@code gpt2}, {@code llama}), the adapter
 * names, the inputs, and the outputs of the base model and of the adapted one as the Adapters library
 * computed them (BERT's {@code last_hidden_state}, the decoders' logits).
 */
final class LibraryFixture {

    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final JsonNode expected;

    private LibraryFixture(Path dir, JsonNode expected) {
        this.dir = dir;
        this.expected = expected;
    }

    /** The fixtures folder {@code /fixtures/adapters-library} on the test class path. */
    static Path root() throws URISyntaxException {
        return Path.of(LibraryFixture.class.getResource("/fixtures/adapters-library/generate.py").toURI()).getParent();
    }

    /** Opens {@code <root>/<group>/<name>/expected.json}. */
    static LibraryFixture open(String group, String name) throws IOException, URISyntaxException {
        Path dir = root().resolve(group).resolve(name);
        return new LibraryFixture(dir, JSON.readTree(dir.resolve("expected.json").toFile()));
    }

    String kind() {
        return expected.get("model").asText();
    }

    List<String> adapters() {
        List<String> names = new ArrayList<>();
        expected.get("adapters").forEach(n -> names.add(n.asText()));
        return names;
    }

    boolean fusion() {
        return expected.path("fusion").asBoolean(false);
    }

    /** The base model of {@code kind}, read from its checkpoint, wrapped for adapters. */
    static AdapterModel<?> baseModel(String kind, NDManager manager) throws IOException, URISyntaxException {
        Path root = root();
        return switch (kind) {
            case "bert" -> Adapters.init(BertModels.fromCheckpoint(root.resolve("bert-tiny"), manager));
            case "gpt2" -> Adapters.init(GPT2Models.fromCheckpoint(root.resolve("../gpt2-tiny/base").normalize(),
                    manager));
            case "llama" -> Adapters.init(LlamaModels.fromCheckpoint(root.resolve("../llama-tiny/base").normalize(),
                    manager));
            default -> throw new IllegalArgumentException("unknown model kind " + kind);
        };
    }

    /** Loads this case's adapters (and fusion) into {@code model} and activates them as the library did. */
    void loadInto(AdapterModel<?> model) throws IOException {
        List<String> names = adapters();
        for (String name : names) {
            model.loadAdapter(dir.resolve(name), name);
        }
        if (fusion()) {
            model.setActiveAdapters(model.loadAdapterFusion(dir.resolve("fusion")));
        } else {
            model.setActiveAdapters(names.get(0));
        }
    }

    /** The model's output for the case's inputs, flattened. */
    float[] run(AdapterModel<?> model, NDManager manager) {
        return run(model, manager, kind(), expected.get("inputs"));
    }

    static float[] run(AdapterModel<?> model, NDManager manager, String kind, JsonNode inputs) {
        try (NDManager scope = manager.newSubManager()) {
            NDList list = new NDList(scope.create(longs(inputs.get("input_ids"))));
            if (kind.equals("bert")) {
                list.add(scope.create(longs(inputs.get("attention_mask"))));
                list.add(scope.create(longs(inputs.get("token_type_ids"))));
            }
            NDArray out = model.forward(list).head();
            return out.toFloatArray();
        }
    }

    /** {@code expected.<key>} flattened. */
    float[] output(String key) {
        List<Float> values = new ArrayList<>();
        flatten(expected.get(key), values);
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static void flatten(JsonNode node, List<Float> into) {
        if (node.isArray()) {
            node.forEach(n -> flatten(n, into));
        } else {
            into.add((float) node.asDouble());
        }
    }

    static long[][] longs(JsonNode rows) {
        long[][] out = new long[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = new long[rows.get(r).size()];
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = rows.get(r).get(c).asLong();
            }
        }
        return out;
    }

    static double maxDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
