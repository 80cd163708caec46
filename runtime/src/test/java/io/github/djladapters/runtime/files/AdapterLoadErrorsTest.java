package io.github.djladapters.runtime.files;

import static io.github.djladapters.runtime.methods.ReferenceWeights.run;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad adapter folder fails by file and key, and leaves the model as it was. */
class AdapterLoadErrorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String Q0 = "base_model.model.layers.0.self_attn.q_proj.";

    @TempDir Path dir;
    private Path config;
    private Path weights;

    @BeforeEach
    void saveAGoodAdapter() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("default", LoRAConfig.builder().r(2).initLoraWeights(LoRAInit.NONE).build());
            peft.saveAdapter(dir);
        }
        config = dir.resolve(PeftAdapterFiles.CONFIG_FILE);
        weights = dir.resolve(PeftAdapterFiles.WEIGHTS_FILE);
    }

    @Test
    void missingConfigFileIsNamed() throws IOException {
        Files.delete(config);
        assertFailsUnchanged(config.toString(), "no adapter config");
    }

    @Test
    void invalidJsonIsNamed() throws IOException {
        Files.writeString(config, "{\"r\": 8,");
        assertFailsUnchanged(config.toString(), "not valid JSON");
    }

    @Test
    void unknownPeftTypeNamesTheKeyAndTheKnownTypes() throws IOException {
        editConfig(c -> c.put("peft_type", "BOFT"));
        assertFailsUnchanged(config.toString(), "key 'peft_type' is 'BOFT'", "known: [", "IA3", "LORA");
    }

    @Test
    void wrongValueTypeNamesTheKey() throws IOException {
        editConfig(c -> c.put("r", "eight"));
        assertFailsUnchanged(config.toString(), "key 'r'");
    }

    @Test
    void unsupportedPeftFeatureNamesTheKey() throws IOException {
        editConfig(c -> c.put("lora_bias", true));
        assertFailsUnchanged(config.toString(), "key 'lora_bias' is true");
    }

    @Test
    void missingWeightsFileIsNamed() throws IOException {
        Files.delete(weights);
        assertFailsUnchanged(weights.toString(), "missing");
    }

    @Test
    void badSafetensorsHeaderIsNamed() throws IOException {
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 4));
        assertFailsUnchanged(weights.toString(), "lie outside the data area");
    }

    @Test
    void missingKeyIsNamed() throws IOException {
        rewriteWeights(Q0 + "lora_A.weight", null, null);
        assertFailsUnchanged(weights.toString(), "missing keys [" + Q0 + "lora_A.weight]");
    }

    @Test
    void unexpectedKeyIsNamed() throws IOException {
        rewriteWeights(null, "base_model.model.layers.0.mlp.up_proj.lora_A.weight", new Shape(2, 8));
        assertFailsUnchanged(weights.toString(), "unexpected keys [base_model.model.layers.0.mlp.up_proj.lora_A");
    }

    @Test
    void wrongShapeIsNamed() throws IOException {
        rewriteWeights(Q0 + "lora_A.weight", Q0 + "lora_A.weight", new Shape(3, 8));
        assertFailsUnchanged(weights.toString(), Q0 + "lora_A.weight has shape (3, 8), expected (2, 8)");
    }

    @Test
    void unknownConfigKeysAreIgnoredWithAWarning() throws IOException {
        editConfig(c -> c.put("some_future_key", 3).put("another_one", "x"));
        assertEquals(List.of("another_one", "some_future_key"), AdapterConfigFile.read(config).unknownKeys());
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.loadAdapter(dir);
            assertEquals(Set.of("default"), peft.adapters());
        }
    }

    @Test
    void peftsOwnConfigParsesIntoALoRAConfig() throws Exception {
        Path fixture = Path.of(getClass().getResource("/peft/bert-lora/adapter_config.json").toURI());
        AdapterConfigFile file = AdapterConfigFile.read(fixture);
        LoRAConfig lora = (LoRAConfig) file.config();
        assertEquals(8, lora.r());
        assertEquals(16, lora.loraAlpha());
        assertEquals(List.of("query", "value"), lora.targetModules().names());
        assertEquals(List.of(), file.unknownKeys(), "PEFT 0.21's keys are all known");
        assertEquals(AdapterConfigFile.Layout.PEFT, file.layout());
    }

    @Test
    void adaptersLibraryLayoutLoadsWithItsWeightNames() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> saved = tiny(manager, false);
            saved.addAdapter("sst2", LoRAConfig.builder().r(2).loraAlpha(4).intermediateLora(true)
                    .initLoraWeights(LoRAInit.NONE).build());
            saved.setActiveAdapters("sst2");
            float[] expected = run(saved, manager);
            Path hub = dir.resolve("hub");
            Files.createDirectories(hub);
            Files.writeString(hub.resolve("adapter_config.json"), """
                    {"config": {"architecture": "lora", "r": 2, "alpha": 4, "dropout": 0.0,
                      "attn_matrices": ["q", "v"], "selfattn_lora": true, "intermediate_lora": true,
                      "output_lora": false, "composition_mode": "add", "init_weights": "lora",
                      "use_gating": false, "leave_out": [], "vera_b": null, "vera_d": null, "dtype": null},
                     "hidden_size": 8, "model_class": "LlamaForCausalLM", "model_name": "tiny",
                     "model_type": "llama", "name": "sst2", "version": "adapters.1.2.0"}""");
            SafetensorsWriter writer = new SafetensorsWriter();
            saved.adapterTensors("sst2", manager).forEach((key, value) -> writer.addArray("model."
                    + key.substring(PeftAdapterFiles.KEY_PREFIX.length()).replace(".lora_A.weight", ".loras.sst2.lora_A")
                            .replace(".lora_B.weight", ".loras.sst2.lora_B"), value));
            writer.write(hub.resolve(AdaptersLibraryLayout.WEIGHTS_FILE));
            AdapterModel<TinyModel> fresh = tiny(manager, false);
            fresh.loadAdapter(hub, "sst2");
            fresh.setActiveAdapters("sst2");
            assertArrayEquals(expected, run(fresh, manager));
            assertEquals(AdapterConfigFile.Layout.ADAPTERS_LIBRARY,
                    AdapterConfigFile.read(hub.resolve("adapter_config.json")).layout());
        }
    }

    @Test
    void adaptersLibraryIa3IsRefusedByKey() throws IOException {
        Files.writeString(config, """
                {"config": {"architecture": "lora", "r": 1, "alpha": 1, "composition_mode": "scale"}, "name": "x"}""");
        assertFailsUnchanged(config.toString(), "key 'config.composition_mode'");
    }

    /** Loads and expects a CheckpointException containing each text; adapters and outputs stay as they were. */
    private void assertFailsUnchanged(String... expected) {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("kept", LoRAConfig.builder().r(2).initLoraWeights(LoRAInit.NONE).build());
            peft.setActiveAdapters("kept");
            float[] before = run(peft, manager);
            int layers = peft.adapterLayers().size();
            long parameters = peft.trainableParameters().all();
            CheckpointException e = assertThrows(CheckpointException.class, () -> peft.loadAdapter(dir, "new"));
            for (String text : expected) {
                assertTrue(e.getMessage().contains(text), "'" + text + "' not in: " + e.getMessage());
            }
            assertEquals(Set.of("kept"), peft.adapters());
            assertEquals(layers, peft.adapterLayers().size());
            assertEquals(parameters, peft.trainableParameters().all());
            assertArrayEquals(before, run(peft, manager));
        }
    }

    private void editConfig(java.util.function.Consumer<ObjectNode> edit) throws IOException {
        ObjectNode node = (ObjectNode) JSON.readTree(config.toFile());
        edit.accept(node);
        Files.writeString(config, node.toString());
    }

    /** Rewrites the weights without {@code drop} and with {@code add} (zeros of {@code shape}). */
    private void rewriteWeights(String drop, String add, Shape shape) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (String key : new TreeMap<>(file.tensors()).keySet()) {
                if (!key.equals(drop)) {
                    writer.add(key, TensorDType.F32, file.tensors().get(key).shape(), file.rawBytes(key));
                }
            }
            if (add != null) {
                writer.addFloats(add, shape, new float[(int) shape.size()], TensorDType.F32);
            }
            Path rewritten = dir.resolve("rewritten.safetensors");
            writer.write(rewritten);
            Files.move(rewritten, weights, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
