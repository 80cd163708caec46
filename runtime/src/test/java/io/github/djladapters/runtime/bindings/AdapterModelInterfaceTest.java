package io.github.djladapters.runtime.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.testmodel.TinyInterfaces;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdapterModelInterfaceTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The Gemma 2 interface as Python's {@code dataclasses.asdict} writes it. */
    private static final String PYTHON_GEMMA2 = """
            {"adapter_methods": ["bottleneck", "lora", "reft"], "model_embeddings": "embed_tokens",
             "model_layers": "layers", "layer_self_attn": "self_attn", "layer_cross_attn": null,
             "attn_k_proj": "k_proj", "attn_q_proj": "q_proj", "attn_v_proj": "v_proj", "attn_o_proj": "o_proj",
             "attn_qkv_proj": null, "layer_intermediate_proj": "mlp.up_proj", "layer_output_proj": "mlp.down_proj",
             "layer_pre_self_attn": "input_layernorm", "layer_pre_cross_attn": null,
             "layer_pre_ffn": "pre_feedforward_layernorm", "layer_ln_1": "post_attention_layernorm",
             "layer_ln_2": "post_feedforward_layernorm"}""";

    @Test
    void jsonUsesThePythonFieldNamesInDataclassOrder() throws Exception {
        JsonNode tree = MAPPER.readTree(TinyInterfaces.separate().build().toJson());
        List<String> names = new ArrayList<>();
        tree.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("adapter_methods", "model_embeddings", "model_layers", "layer_self_attn",
                "layer_cross_attn", "attn_k_proj", "attn_q_proj", "attn_v_proj", "attn_o_proj", "attn_qkv_proj",
                "layer_intermediate_proj", "layer_output_proj", "layer_pre_self_attn", "layer_pre_cross_attn",
                "layer_pre_ffn", "layer_ln_1", "layer_ln_2"), names);
        assertEquals("[\"lora\",\"reft\"]", tree.get("adapter_methods").toString());
        assertEquals("mlp.up_proj", tree.get("layer_intermediate_proj").textValue());
        assertTrue(tree.get("layer_cross_attn").isNull());
    }

    @Test
    void jsonRoundTripKeepsEveryField() {
        AdapterModelInterface full = TinyInterfaces.separate().adapterMethods(AdapterMethod.values())
                .layerCrossAttn("encoder_attn").layerPreCrossAttn("pre_cross").layerLn1("ln1").layerLn2("ln2").build();
        assertEquals(full, AdapterModelInterface.fromJson(full.toJson()));
        AdapterModelInterface fused = TinyInterfaces.fused().build();
        AdapterModelInterface back = AdapterModelInterface.fromJson(fused.toJson());
        assertEquals(fused, back);
        assertEquals(Optional.of(new QkvSplit(8, 8, 8)), back.attnQkvSplit());
    }

    @Test
    void readsTheInterfaceThatPythonWrites() throws Exception {
        AdapterModelInterface gemma2 = AdapterModelInterface.fromJson(PYTHON_GEMMA2);
        assertEquals(List.of(AdapterMethod.BOTTLENECK, AdapterMethod.LORA, AdapterMethod.REFT), gemma2.adapterMethods());
        assertEquals(Optional.of("q_proj"), gemma2.pathOf(Site.Q_PROJ));
        assertEquals(Optional.of("post_feedforward_layernorm"), gemma2.pathOf(Site.LAYER_NORM_2));
        assertEquals(Optional.empty(), gemma2.pathOf(Site.QKV_PROJ));
        assertEquals(Optional.empty(), gemma2.pathOf(Site.CROSS_Q_PROJ));
        assertEquals(MAPPER.readTree(PYTHON_GEMMA2).toString(), gemma2.toTree().toString());
    }

    @Test
    void jacksonReadsAndWritesTheTypeInsideOtherDocuments() throws Exception {
        AdapterModelInterface iface = TinyInterfaces.fused().build();
        String json = MAPPER.writeValueAsString(List.of(iface));
        AdapterModelInterface[] back = MAPPER.readValue(json, AdapterModelInterface[].class);
        assertEquals(iface, back[0]);
    }

    @Test
    void pathOfMapsSitesToTheirScopesPaths() {
        AdapterModelInterface iface = TinyInterfaces.separate().layerCrossAttn("encoder_attn").build();
        assertEquals(Optional.of("mlp.down_proj"), iface.pathOf(Site.OUTPUT_PROJ));
        assertEquals(Optional.of("self_attn"), iface.pathOf(Site.SELF_ATTENTION));
        assertEquals(Optional.of("encoder_attn"), iface.pathOf(Site.CROSS_ATTENTION));
        assertEquals(Optional.of("o_proj"), iface.pathOf(Site.CROSS_O_PROJ));
        assertEquals(Optional.of("input_layernorm"), iface.pathOf(Site.PRE_SELF_ATTENTION));
        assertEquals(Optional.empty(), iface.pathOf(Site.LAYER_NORM_1));
        assertTrue(iface.sites().contains(Site.CROSS_Q_PROJ));
        assertTrue(!TinyInterfaces.separate().build().sites().contains(Site.CROSS_Q_PROJ));
    }

    @ParameterizedTest
    @ValueSource(strings = {"adapter_methods", "model_embeddings", "model_layers", "layer_self_attn", "attn_o_proj",
            "layer_intermediate_proj", "layer_output_proj"})
    void missingRequiredFieldIsNamed(String field) throws Exception {
        ObjectNode tree = (ObjectNode) MAPPER.readTree(PYTHON_GEMMA2);
        tree.remove(field);
        String message = invalid(tree.toString());
        assertTrue(message.contains(field + " is required"), message);
    }

    @Test
    void separateProjectionsGoTogether() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> TinyInterfaces.separate().attnVProj(null).build()).getMessage();
        assertTrue(message.contains("attn_q_proj, attn_k_proj set but attn_v_proj missing"), message);
    }

    @Test
    void separateAndFusedProjectionsExcludeEachOther() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> TinyInterfaces.separate().attnQkvProj("qkv").build()).getMessage();
        assertTrue(message.contains("attn_qkv_proj exclude each other"), message);
    }

    @Test
    void separateOrFusedProjectionsAreRequired() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> TinyInterfaces.fused().attnQkvSplit(null).attnQkvProj(null).build()).getMessage();
        assertTrue(message.contains("set either attn_q_proj, attn_k_proj, attn_v_proj or the fused attn_qkv_proj"),
                message);
    }

    @Test
    void unknownAdapterMethodListsTheValidOnes() {
        String message = invalid(PYTHON_GEMMA2.replace("\"reft\"", "\"lroa\""));
        assertTrue(message.contains("adapter_methods: unknown adapter method 'lroa'"), message);
        assertTrue(message.contains("bottleneck, prefix_tuning, lora, prompt_tuning, reft, invertible"), message);
    }

    @Test
    void bottleneckNeedsBothPreSublayerHooks() {
        String message = invalid(PYTHON_GEMMA2.replace("\"layer_pre_ffn\": \"pre_feedforward_layernorm\"",
                "\"layer_pre_ffn\": null"));
        assertTrue(message.contains("\"bottleneck\", which needs layer_pre_self_attn and layer_pre_ffn; missing"
                + " layer_pre_ffn"), message);
    }

    @Test
    void fusedSplitNeedsTheFusedProjection() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> TinyInterfaces.separate().attnQkvSplit(new QkvSplit(8, 4, 4)).build()).getMessage();
        assertTrue(message.contains("attn_qkv_split is set but attn_qkv_proj is not"), message);
    }

    @Test
    void malformedValuesAreNamedByField() {
        assertTrue(invalid(PYTHON_GEMMA2.replace("\"layers\"", "3"))
                .contains("model_layers must be a string or null, got number"));
        assertTrue(invalid(PYTHON_GEMMA2.replace("\"mlp.up_proj\"", "\"mlp..up_proj\""))
                .contains("layer_intermediate_proj 'mlp..up_proj' is not a dotted path"));
        assertTrue(invalid(PYTHON_GEMMA2.replace("\"layer_ln_1\"", "\"layer_ln1\""))
                .contains("unknown field 'layer_ln1'"));
        assertTrue(invalid(PYTHON_GEMMA2.replace("\"attn_qkv_proj\": null", "\"attn_qkv_split\": [8, 8]"))
                .contains("attn_qkv_split must be [q, k, v] output sizes"));
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> AdapterModelInterface.builder().modelLayers("layers").build()).getMessage();
        for (String field : List.of("adapter_methods", "model_embeddings", "layer_self_attn", "attn_o_proj")) {
            assertTrue(message.contains(field), message);
        }
    }

    @Test
    void fileErrorsNameTheFileAndTheField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("adapter_interface.json");
        Files.writeString(file, PYTHON_GEMMA2.replace("\"model_layers\": \"layers\",", ""));
        String message = assertThrows(IllegalArgumentException.class, () -> AdapterModelInterface.fromJson(file))
                .getMessage();
        assertTrue(message.startsWith("adapter interface file " + file), message);
        assertTrue(message.contains("model_layers is required"), message);

        Files.writeString(file, "{\"adapter_methods\": [\"lora\"],\n \"model_layers\" \"layers\"}");
        message = assertThrows(IllegalArgumentException.class, () -> AdapterModelInterface.fromJson(file)).getMessage();
        assertTrue(message.contains(file + " is not valid JSON") && message.contains("line 2"), message);

        Files.writeString(file, PYTHON_GEMMA2);
        assertEquals(AdapterModelInterface.fromJson(PYTHON_GEMMA2), AdapterModelInterface.fromJson(file));
    }

    private static String invalid(String json) {
        return assertThrows(IllegalArgumentException.class, () -> AdapterModelInterface.fromJson(json)).getMessage();
    }
}
