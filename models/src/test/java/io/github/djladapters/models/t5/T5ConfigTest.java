package io.github.djladapters.models.t5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json reading with transformers' defaults, and a save/load round trip. */
class T5ConfigTest {

    @TempDir
    Path dir;

    @Test
    void readsFlanT5AndT5V1Configs() throws Exception {
        Path flan = dir.resolve("flan.json");
        Files.writeString(flan, """
                {"architectures": ["T5ForConditionalGeneration"], "d_ff": 1024, "d_kv": 64, "d_model": 512,
                 "decoder_start_token_id": 0, "dense_act_fn": "gelu_new", "dropout_rate": 0.1, "eos_token_id": 1,
                 "feed_forward_proj": "gated-gelu", "is_encoder_decoder": true, "is_gated_act": true,
                 "layer_norm_epsilon": 1e-06, "model_type": "t5", "num_decoder_layers": 8, "num_heads": 6,
                 "num_layers": 8, "pad_token_id": 0, "relative_attention_max_distance": 128,
                 "relative_attention_num_buckets": 32, "tie_word_embeddings": false, "vocab_size": 32128}
                """);
        T5Config config = T5Config.read(flan);
        assertEquals(new T5Config(32128, 512, 64, 1024, 8, 8, 6, 32, 128, 1e-6, "gated-gelu", false, 0, 0, 1), config);
        assertTrue(config.gatedFeedForward());
        assertEquals("gelu_new", config.feedForwardActivation());
        assertEquals(384, config.innerDim());

        Path v1 = dir.resolve("t5-small.json");
        Files.writeString(v1, """
                {"model_type": "t5", "d_model": 512, "d_ff": 2048, "num_layers": 6, "num_heads": 8,
                 "feed_forward_proj": "relu"}
                """);
        T5Config small = T5Config.read(v1);
        assertTrue(small.tieWordEmbeddings(), "tie_word_embeddings defaults to true");
        assertEquals(6, small.numDecoderLayers(), "num_decoder_layers defaults to num_layers");
        assertFalse(small.gatedFeedForward());
        assertEquals(small, T5Config.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(small.toJson())));
    }

    @Test
    void rejectsUnsupportedFeedForwardAndModelType() throws Exception {
        Path silu = dir.resolve("silu.json");
        Files.writeString(silu, "{\"model_type\": \"t5\", \"feed_forward_proj\": \"gated-silu\"}");
        String message = assertThrows(IOException.class, () -> T5Config.read(silu)).getMessage();
        assertTrue(message.contains("gated-silu") && message.contains("relu or gated-gelu"), message);
        Path bart = dir.resolve("bart.json");
        Files.writeString(bart, "{\"model_type\": \"bart\"}");
        assertTrue(assertThrows(IOException.class, () -> T5Config.read(bart)).getMessage().contains("bart"));
    }

    @Test
    void savedModelReloadsWithTheSameLogits() throws Exception {
        T5Config config = TinyT5Checkpoints.tiny("relu", true);
        TinyT5Checkpoints.write(dir.resolve("original"), config, 71);
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration original = T5Models.fromCheckpoint(dir.resolve("original"), manager);
            T5Models.save(original, dir.resolve("saved"));
            try (SafetensorsFile saved = SafetensorsFile.open(dir.resolve("saved/model.safetensors"))) {
                assertEquals(TinyT5Checkpoints.shapes(config).keySet(), saved.tensors().keySet(),
                        "saved under Hugging Face keys, shared.weight once");
            }
            T5ForConditionalGeneration reloaded = T5Models.fromCheckpoint(dir.resolve("saved"), manager);
            assertEquals(config, reloaded.config());
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray ids = T5Arrays.ids(manager, T5MatchesReferenceTest.INPUT);
            NDList in = new NDList(ids, T5Arrays.ids(manager, T5MatchesReferenceTest.DECODER));
            assertEquals(original.forward(ps, in, false).head(), reloaded.forward(ps, in, false).head());
        }
    }
}
