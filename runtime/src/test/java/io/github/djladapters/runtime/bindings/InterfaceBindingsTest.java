package io.github.djladapters.runtime.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.testmodel.TinyInterfaces;
import io.github.djladapters.runtime.testmodel.TinyModel;
import io.github.djladapters.runtime.testmodel.TinyReference;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InterfaceBindingsTest {

    private static final long[][] IDS = {{1, 5, 9}, {3, 0, 10}};

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void everySiteResolvesToItsHuggingFaceModulePath() {
        TinyModel model = new TinyModel(manager, false);
        AdapterModel<TinyModel> bound = Adapters.init(model, TinyInterfaces.separate().build());
        assertEquals(TinyModel.LAYERS, bound.layerCount());
        assertEquals("embed_tokens", bound.embeddingsPath());
        assertSame(model.embedTokens, bound.embeddings());
        for (int layer = 0; layer < TinyModel.LAYERS; layer++) {
            for (Site site : bound.sites()) {
                String path = "layers." + layer + "." + bound.bindings().declaredAt(site);
                assertEquals(path, bound.modulePath(layer, site));
                assertSame(bound.moduleTree().get(path), bound.block(layer, site));
            }
        }
        assertEquals("layers.1.self_attn.q_proj", bound.modulePath(1, Site.Q_PROJ));
        assertEquals("layers.0.mlp.down_proj", bound.modulePath(0, Site.OUTPUT_PROJ));
        assertSame(model.layers.get(1).selfAttn.qProj, bound.block(1, Site.Q_PROJ));
        assertSame(model.layers.get(0).inputLayernorm, bound.block(0, Site.PRE_SELF_ATTENTION));
    }

    @Test
    void crossAttentionSitesResolveRelativeToTheCrossAttentionBlock() {
        TinyModel model = new TinyModel(manager, false);
        AdapterModel<TinyModel> bound = Adapters.init(model, TinyInterfaces.separate().layerCrossAttn("self_attn").build());
        assertTrue(bound.sites().contains(Site.CROSS_V_PROJ));
        assertEquals("self_attn.v_proj", bound.bindings().declaredAt(Site.CROSS_V_PROJ));
        assertSame(model.layers.get(1).selfAttn.vProj, bound.block(1, Site.CROSS_V_PROJ));
    }

    @Test
    void missingPathFailsAtInitListingTheChildrenThatExist() {
        TinyModel model = new TinyModel(manager, false);
        String message = assertThrows(IllegalStateException.class,
                () -> Adapters.init(model, TinyInterfaces.separate().attnQProj("query").build())).getMessage();
        assertTrue(message.contains("site Q_PROJ of layer 0 (declared at self_attn.query)"), message);
        assertTrue(message.contains("has no child 'query'; its children are [q_proj, k_proj, v_proj, o_proj]"), message);

        message = assertThrows(IllegalStateException.class,
                () -> Adapters.init(model, TinyInterfaces.separate().modelLayers("decoder.layers").build())).getMessage();
        assertTrue(message.contains("model_layers") && message.contains("[embed_tokens, layers]"), message);
    }

    @Test
    void replacedProjectionChangesTheForwardPassAsComputedIndependently() {
        TinyModel model = new TinyModel(manager, false);
        AdapterModel<TinyModel> bound = Adapters.init(model, TinyInterfaces.separate().build());
        Map<String, float[]> weights = TinyReference.weightsOf(model);
        float[] before = model.run(manager, IDS);
        assertClose(new TinyReference(weights).run(IDS), before);

        Linear query = newLinear(TinyModel.HIDDEN, TinyModel.HIDDEN, 7);
        bound.replace(1, Site.Q_PROJ, query);

        weights.put("layers.1.self_attn.q_proj.weight", query.getParameters().get("weight").getArray().toFloatArray());
        weights.put("layers.1.self_attn.q_proj.bias", query.getParameters().get("bias").getArray().toFloatArray());
        float[] after = model.run(manager, IDS);
        assertClose(new TinyReference(weights).run(IDS), after);
        assertTrue(maxDifference(before, after) > 1e-3, "the new projection must change the output");
        assertSame(query, model.layers.get(1).selfAttn.qProj);
        assertEquals("layers.1.self_attn.q_proj", bound.modulePath(1, Site.Q_PROJ));
    }

    @Test
    void replacementParametersTakeTheOldNameAndFreezeWithTheModel() {
        TinyModel model = new TinyModel(manager, false);
        AdapterModel<TinyModel> bound = Adapters.init(model, TinyInterfaces.separate().build());
        Map<String, Parameter> before = parameters(model);
        Linear up = newLinear(TinyModel.HIDDEN, TinyModel.FFN, 3);
        Parameter oldWeight = model.layers.get(0).mlp.upProj.getParameters().get("weight");
        bound.replace(0, Site.INTERMEDIATE_PROJ, up);

        Map<String, Parameter> after = parameters(model);
        assertEquals(before.keySet(), after.keySet());
        String key = before.entrySet().stream().filter(e -> e.getValue() == oldWeight).findFirst().orElseThrow().getKey();
        assertSame(up.getParameters().get("weight"), after.get(key));

        model.freezeParameters(true);
        assertFalse(up.getParameters().get("weight").requiresGradient());
        assertFalse(up.getParameters().get("bias").requiresGradient());
    }

    @Test
    void replacementTheFieldCannotHoldChangesNothing() {
        TinyModel model = new TinyModel(manager, false);
        // a site path onto a field typed TinyAttention, which no other block fits
        AdapterModel<TinyModel> bound = Adapters.init(model, TinyInterfaces.separate().layerPreSelfAttn("self_attn")
                .build());
        Block attention = bound.block(0, Site.PRE_SELF_ATTENTION);
        String message = assertThrows(IllegalArgumentException.class,
                () -> bound.replace(0, Site.PRE_SELF_ATTENTION, newLinear(TinyModel.HIDDEN, TinyModel.HIDDEN, 1))).getMessage();
        assertTrue(message.contains("TinyLayer.selfAttn") && message.contains("cannot hold"), message);
        assertSame(attention, ModulePaths.resolve(model, "layers.0.self_attn"));
        assertSame(attention, model.layers.get(0).selfAttn);
    }

    @Test
    void attentionBlocksAreNotReplaced() {
        TinyModel model = new TinyModel(manager, false);
        AdapterModel<TinyModel> bound = Adapters.init(model, TinyInterfaces.separate().build());
        Block attention = bound.block(0, Site.SELF_ATTENTION);
        String message = assertThrows(IllegalArgumentException.class,
                () -> bound.replace(0, Site.SELF_ATTENTION, newLinear(TinyModel.HIDDEN, TinyModel.HIDDEN, 1))).getMessage();
        assertTrue(message.contains("SELF_ATTENTION is an attention block"), message);
        assertSame(attention, model.layers.get(0).selfAttn);
    }

    @Test
    void fusedQkvInterfaceResolvesSplitsAndReplaces() {
        TinyModel model = new TinyModel(manager, true);
        AdapterModel<TinyModel> bound = Adapters.init(model, TinyInterfaces.fused().build());
        assertTrue(bound.sites().contains(Site.QKV_PROJ));
        assertFalse(bound.sites().contains(Site.Q_PROJ));
        assertEquals("layers.0.self_attn.qkv_proj", bound.modulePath(0, Site.QKV_PROJ));
        assertEquals(new QkvSplit(8, 8, 8), bound.bindings().qkvSplit(Site.QKV_PROJ));
        Map<String, float[]> weights = TinyReference.weightsOf(model);
        assertClose(new TinyReference(weights).run(IDS), model.run(manager, IDS));

        Linear qkv = newLinear(TinyModel.HIDDEN, 3 * TinyModel.HIDDEN, 11);
        bound.replace(0, Site.QKV_PROJ, qkv);
        weights.put("layers.0.self_attn.qkv_proj.weight", qkv.getParameters().get("weight").getArray().toFloatArray());
        weights.put("layers.0.self_attn.qkv_proj.bias", qkv.getParameters().get("bias").getArray().toFloatArray());
        assertClose(new TinyReference(weights).run(IDS), model.run(manager, IDS));
        assertSame(qkv, model.layers.get(0).selfAttn.qkvProj);
    }

    private Linear newLinear(int in, int out, long seed) {
        Linear linear = Linear.builder().setUnits(out).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(1, in));
        TinyModel.fill(linear, seed);
        return linear;
    }

    private static Map<String, Parameter> parameters(Block block) {
        Map<String, Parameter> byKey = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            byKey.put(p.getKey(), p.getValue());
        }
        return byKey;
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        assertTrue(maxDifference(expected, actual) < 1e-5, "max difference " + maxDifference(expected, actual));
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
