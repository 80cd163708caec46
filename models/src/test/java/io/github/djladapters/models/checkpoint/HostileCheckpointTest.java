package io.github.djladapters.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.models.t5.T5Models;
import io.github.djladapters.runtime.safetensors.TensorDType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hostile model folders fail fast, before any allocation, naming the key and the allowed range;
 * NaN weights and keys the model has no parameter for fail the load, naming the key.
 */
class HostileCheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path temp;

    /** A good tiny folder of the family, its config.json then changed by {@code key = value}. */
    private Path folder(String family, String key, String value) throws IOException {
        Path dir = temp.resolve(family + "-" + key + "-" + value.hashCode());
        switch (family) {
            case "bert" -> {
                BertConfig config = TinyCheckpoints.tinyBert();
                Map<String, Shape> shapes = TinyCheckpoints.shapes(config);
                TinyCheckpoints.write(dir, config, shapes, TinyCheckpoints.randomWeights(shapes, 1), TensorDType.F32, 1, "");
            }
            case "gpt2" -> {
                GPT2Config config = TinyDecoderCheckpoints.tinyGpt2();
                Map<String, Shape> shapes = TinyDecoderCheckpoints.shapes(config);
                TinyDecoderCheckpoints.write(dir, config.toJson(), shapes,
                        TinyDecoderCheckpoints.randomWeights(shapes, 1, 0.1));
            }
            case "llama" -> {
                LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("llama", false);
                Map<String, Shape> shapes = TinyDecoderCheckpoints.shapes(config);
                TinyDecoderCheckpoints.write(dir, config.toJson(), shapes,
                        TinyDecoderCheckpoints.randomWeights(shapes, 1, 0.1));
            }
            case "t5" -> {
                Path fixture = Path.of(getClass().getResource("/fixtures/t5-tie/flan-hub/config.json").getPath())
                        .getParent();
                Files.createDirectories(dir);
                Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
                Files.copy(fixture.resolve("model.safetensors"), dir.resolve("model.safetensors"));
            }
            default -> throw new IllegalArgumentException(family);
        }
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.set(key, JSON.readTree(value));
        Files.writeString(dir.resolve("config.json"), config.toString());
        return dir;
    }

    private static void load(String family, Path dir, NDManager manager) throws IOException {
        switch (family) {
            case "bert" -> BertModels.fromCheckpoint(dir, manager);
            case "gpt2" -> GPT2Models.fromCheckpoint(dir, manager);
            case "llama" -> LlamaModels.fromCheckpoint(dir, manager);
            case "t5" -> T5Models.fromCheckpoint(dir, manager);
            default -> throw new IllegalArgumentException(family);
        }
    }

    @ParameterizedTest(name = "{0}: {1} = {2}")
    @CsvSource(delimiter = '|', value = {
        "bert|num_hidden_layers|100000|num_hidden_layers is 100000; expected an integer from 1 to 1024",
        "bert|num_hidden_layers|-3|num_hidden_layers is -3",
        "bert|hidden_size|1000000000|hidden_size is 1000000000",
        "bert|num_attention_heads|-1|num_attention_heads is -1",
        "bert|vocab_size|-5|vocab_size is -5",
        "bert|layer_norm_eps|-1.0|layer_norm_eps is -1.0",
        "gpt2|n_layer|100000|n_layer is 100000",
        "gpt2|n_embd|1000000000|n_embd is 1000000000",
        "gpt2|n_head|-4|n_head is -4",
        "llama|num_hidden_layers|100000|num_hidden_layers is 100000",
        "llama|num_hidden_layers|-1|num_hidden_layers is -1",
        "llama|hidden_size|1000000000|hidden_size is 1000000000",
        "llama|num_attention_heads|0|num_attention_heads is 0",
        "llama|num_key_value_heads|0|num_key_value_heads is 0",
        "llama|head_dim|0|head_dim is 0",
        "t5|num_layers|100000|num_layers is 100000",
        "t5|num_heads|0|num_heads is 0",
        "t5|d_model|-16|d_model is -16",
        "t5|scale_decoder_outputs|\"yes\"|scale_decoder_outputs must be true or false",
        "t5|feed_forward_proj|\"gated-silu\"|feed_forward_proj 'gated-silu' is not supported",
        "t5|dense_act_fn|\"relu\"|dense_act_fn 'relu' does not match feed_forward_proj 'gated-gelu'",
        "bert|position_embedding_type|\"relative_key\"|position_embedding_type 'relative_key' is not supported",
        "bert|is_decoder|true|only the BERT encoder is supported",
    })
    void outOfRangeConfigFailsFastNamingTheKey(String family, String key, String value, String expected)
            throws IOException {
        Path dir = folder(family, key, value);
        long start = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> load(family, dir, manager));
            assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("config.json"), e.getMessage());
            assertTrue(manager.getManagedArrays().isEmpty(), "nothing allocated");
        }
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "fails fast");
    }

    @Test
    void modelLargerThanPhysicalMemoryIsRefusedWithTheEstimate() throws IOException {
        Path dir = folder("llama", "num_hidden_layers", "1000");
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("hidden_size", 32768).put("intermediate_size", 131072).put("num_attention_heads", 256)
                .put("num_key_value_heads", 256).put("head_dim", 128);
        Files.writeString(dir.resolve("config.json"), config.toString());
        try (NDManager manager = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> LlamaModels.fromCheckpoint(dir, manager));
            assertTrue(e.getMessage().contains("GiB as float32, more than the") && e.getMessage().contains("parameters"),
                    e.getMessage());
        }
    }

    @Test
    void nanInACheckpointTensorFailsTheLoadNamingTheKey() throws IOException {
        BertConfig config = TinyCheckpoints.tinyBert();
        Map<String, Shape> shapes = TinyCheckpoints.shapes(config);
        Map<String, float[]> values = new LinkedHashMap<>(TinyCheckpoints.randomWeights(shapes, 1));
        String key = "encoder.layer.1.attention.output.dense.weight";
        values.get(key)[7] = Float.NaN;
        Path dir = temp.resolve("nan");
        TinyCheckpoints.write(dir, config, shapes, values, TensorDType.F32, 1, "");
        try (NDManager manager = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> BertModels.fromCheckpoint(dir, manager));
            assertTrue(e.getMessage().contains("key '" + key + "'") && e.getMessage().contains("NaN at element 7"),
                    e.getMessage());
        }
    }

    @Test
    void keyWithoutAParameterFailsTheLoadUnlessLenient() throws IOException {
        BertConfig config = TinyCheckpoints.tinyBert();
        Map<String, Shape> shapes = new LinkedHashMap<>(TinyCheckpoints.shapes(config));
        shapes.put("encoder.layer.0.attention.self.extra_scale", new Shape(4));
        Path dir = temp.resolve("extra");
        TinyCheckpoints.write(dir, config, shapes, TinyCheckpoints.randomWeights(shapes, 1), TensorDType.F32, 1, "");
        try (NDManager manager = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> BertModels.fromCheckpoint(dir, manager));
            assertTrue(e.getMessage().contains("unexpected key 'encoder.layer.0.attention.self.extra_scale'"),
                    e.getMessage());
        }
    }

    @Test
    void tiedLlamaWhoseLmHeadDiffersFromTheEmbeddingIsRefused() throws IOException {
        LlamaConfig config = TinyDecoderCheckpoints.tinyLlama("llama", true);
        Map<String, Shape> shapes = new LinkedHashMap<>(TinyDecoderCheckpoints.shapes(config));
        shapes.put("lm_head.weight", shapes.get("model.embed_tokens.weight"));
        Path dir = temp.resolve("tied-llama");
        TinyDecoderCheckpoints.write(dir, config.toJson(), shapes,
                TinyDecoderCheckpoints.randomWeights(shapes, 3, 0.1));
        try (NDManager manager = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> LlamaModels.fromCheckpoint(dir, manager));
            assertTrue(e.getMessage().contains("'lm_head.weight' differs from 'model.embed_tokens.weight'"),
                    e.getMessage());
        }
    }
}
