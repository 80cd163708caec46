package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json reading: defaults that depend on other keys, keys that change the math, a round trip. */
class BertConfigTest {

    @TempDir
    Path dir;

    @Test
    void fillsDefaultsThatDependOnOtherKeys() throws Exception {
        BertConfig roberta = read("""
                {"model_type": "RoBERTa", "vocab_size": 50265, "hidden_size": 64, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 128, "max_position_embeddings": 514,
                 "type_vocab_size": 1, "layer_norm_eps": 1e-05, "hidden_dropout_prob": 0.0,
                 "id2label": {"0": "neg", "1": "neu", "2": "pos"}}
                """);
        assertEquals(new BertConfig("roberta", 50265, 64, 2, 4, 128, "gelu", 0f, 0.1f, 514, 1, 1e-5, 1, 3), roberta,
                "explicit 0 dropout kept, absent dropout 0.1, RoBERTa padding id 1, three labels from id2label");

        BertConfig bert = read("{\"pad_token_id\": null, \"num_labels\": 5, \"id2label\": {}}");
        assertEquals(new BertConfig("bert", 30522, 768, 12, 12, 3072, "gelu", 0.1f, 0.1f, 512, 2, 1e-12, 0, 5), bert);
        assertEquals(roberta, BertConfig.parse(roberta.toJson()));
    }

    @Test
    void rejectsKeysThatChangeTheModel() throws Exception {
        String relative = assertThrows(IOException.class,
                () -> read("{\"position_embedding_type\": \"relative_key\"}")).getMessage();
        assertTrue(relative.contains("config.json") && relative.contains("relative_key"), relative);
        String decoder = assertThrows(IOException.class, () -> read("{\"is_decoder\": true}")).getMessage();
        assertTrue(decoder.contains("is_decoder"), decoder);
        assertThrows(IOException.class, () -> BertConfig.parse("[1, 2]"));
        assertEquals(BertConfig.parse("{}"), read("{\"position_embedding_type\": \"absolute\", \"is_decoder\": false}"));
    }

    private BertConfig read(String json) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return BertConfig.read(file);
    }
}
