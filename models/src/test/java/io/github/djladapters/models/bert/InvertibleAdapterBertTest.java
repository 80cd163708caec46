package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.architecture.OutputEmbeddingsModel;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnInvConfig;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invertible adapters on a tiny BERT encoder (hidden 16): the coupling on the word embeddings only,
 * no inverse (no LM head).
 */
class InvertibleAdapterBertTest {

    @TempDir
    Path dir;

    private TinyBertUnderTest bert;
    private NDManager manager;

    @BeforeEach
    void open() {
        bert = new TinyBertUnderTest(dir);
        manager = bert.manager();
    }

    @AfterEach
    void close() {
        bert.close();
    }

    private AdapterModel<BertModel> model() throws Exception {
        return bert.model();
    }

    private float[] run(AdapterModel<BertModel> peft) {
        return bert.run(peft);
    }

    private void setCoupling(AdapterModel<?> peft, float scale) {
        Engine.getInstance().setRandomSeed(3);
        Map<String, NDArray> values = new HashMap<>();
        peft.adapterTensors("inv", manager).forEach((key, value) -> values.put(key,
                key.contains("invertible_adapters.") ? manager.randomUniform(-1f, 1f, value.getShape()).mul(scale)
                        : value));
        peft.loadAdapterTensors("inv", values);
    }

    @Test
    void encoderGetsTheForwardCouplingOnlyAndSavesTheLibraryKeys() throws Exception {
        AdapterModel<BertModel> peft = model();
        float[] base = run(peft);
        assertFalse(peft.model() instanceof OutputEmbeddingsModel, "an encoder has no LM head for the inverse");
        peft.addAdapter("inv", SeqBnInvConfig.builder().reductionFactor(4).initWeights("mam_adapter").build());
        peft.setActiveAdapters("inv");
        setCoupling(peft, 0f);
        assertArrayEquals(base, run(peft), "zero subnets and a zero up projection: the base model");
        setCoupling(peft, 0.5f);
        float[] trained = run(peft);
        double diff = 0;
        for (int i = 0; i < base.length; i++) {
            diff = Math.max(diff, Math.abs(base[i] - trained[i]));
        }
        assertTrue(diff > 1e-2, "the coupling on the embeddings changes the encoder output: " + diff);

        peft.saveAdapter(dir.resolve("saved"));
        Path folder = dir.resolve("saved").resolve("inv");
        try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("adapter.safetensors"))) {
            // H = 16: F maps 8 -> floor(8 / 2) = 4 -> 8
            assertEquals(new Shape(4, 8), file.tensors().get("invertible_adapters.inv.F.0.weight").shape());
            assertEquals(new Shape(8, 4), file.tensors().get("invertible_adapters.inv.G.2.weight").shape());
        }
        AdapterModel<BertModel> fresh = model();
        fresh.loadAdapter(folder, "inv");
        fresh.setActiveAdapters("inv");
        assertArrayEquals(trained, run(fresh));
    }
}
