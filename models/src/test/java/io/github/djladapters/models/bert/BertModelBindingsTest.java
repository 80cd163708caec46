package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.training.ParameterStore;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.Site;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The annotation processor generated bindings for {@link BertModel} that name parts as Hugging Face does. */
class BertModelBindingsTest {

    @Test
    void generatedBindingsAreFoundAndNameSitesWithHuggingFacePaths() {
        ModelBindings<BertModel> bindings = bindings();
        assertSame(BertModel_AdapterBindings.class, bindings.getClass());
        assertTrue(bindings.methods().contains(AdapterMethod.LORA));
        BertModel model = new BertModel(TinyCheckpoints.tinyBert());
        assertEquals(2, bindings.layerCount(model));
        assertEquals("embeddings.word_embeddings", bindings.embeddingsPath(model));
        assertEquals("encoder.layer.0.attention.self.query", bindings.modulePath(model, 0, Site.Q_PROJ));
        assertEquals("encoder.layer.1.attention.self.key", bindings.modulePath(model, 1, Site.K_PROJ));
        assertEquals("encoder.layer.0.attention.self.value", bindings.modulePath(model, 0, Site.V_PROJ));
        assertEquals("encoder.layer.1.attention.output.dense", bindings.modulePath(model, 1, Site.O_PROJ));
        assertEquals("encoder.layer.0.intermediate.dense", bindings.modulePath(model, 0, Site.INTERMEDIATE_PROJ));
        assertEquals("encoder.layer.0.output.dense", bindings.modulePath(model, 0, Site.OUTPUT_PROJ));
        assertEquals("encoder.layer.0.attention.output.LayerNorm", bindings.modulePath(model, 0, Site.LAYER_NORM_1));
        assertEquals("encoder.layer.0.output.LayerNorm", bindings.modulePath(model, 0, Site.LAYER_NORM_2));
        assertEquals("encoder.layer.0.pre_self_attention", bindings.modulePath(model, 0, Site.PRE_SELF_ATTENTION));
        assertEquals("encoder.layer.0.pre_ffn", bindings.modulePath(model, 0, Site.PRE_FFN));
    }

    @Test
    void replacingAHookPointGoesThroughTheForwardPass() throws Exception {
        ModelBindings<BertModel> bindings = bindings();
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = new BertModel(TinyCheckpoints.tinyBert());
            model.initialize(manager);
            NDList inputs = new NDList(manager.create(new long[][] {{2, 3, 4}}));
            ParameterStore ps = new ParameterStore(manager, false);
            float[] before = model.forward(ps, inputs, false).head().toFloatArray();
            int[] calls = {0};
            Block counting = new LambdaBlock(in -> {
                calls[0]++;
                return in;
            });
            bindings.replace(model, 1, Site.PRE_FFN, counting);
            float[] after = model.forward(ps, inputs, false).head().toFloatArray();
            assertEquals(1, calls[0]);
            assertEquals(before[7], after[7], 0f);
            assertEquals("encoder.layer.1.pre_ffn", bindings.modulePath(model, 1, Site.PRE_FFN));
        }
    }

    @SuppressWarnings("unchecked")
    private static ModelBindings<BertModel> bindings() {
        for (ModelBindings<?> candidate : ServiceLoader.load(ModelBindings.class)) {
            if (candidate.modelType() == BertModel.class) {
                return (ModelBindings<BertModel>) candidate;
            }
        }
        throw new AssertionError("no generated ModelBindings for BertModel on the class path");
    }
}
