package io.github.djladapters.runtime.methods.bottleneck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.files.AdapterConfigFile;
import io.github.djladapters.runtime.methods.ReferenceWeights;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bottleneck adapters saved and loaded in the Adapters library's folder layout. */
class BottleneckFilesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void savesTheLibraryLayoutAndLoadsIntoAFreshModelIdentically() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = BottleneckTest.model(manager);
            peft.addAdapter("bn", DoubleSeqBnConfig.builder().reductionFactor(2).lnBefore(true)
                    .scaling(BnScaling.LEARNED).build());
            BottleneckTest.perturb(peft, "bn", manager, 11);
            peft.setActiveAdapters("bn");
            float[] trained = ReferenceWeights.run(peft, manager);
            peft.baseModelNameOrPath("tiny").saveAdapter(dir);

            Path folder = dir.resolve("bn");
            assertEquals(new TreeSet<>(List.of("adapter.safetensors", "adapter_config.json")), names(folder));
            JsonNode config = JSON.readTree(folder.resolve("adapter_config.json").toFile());
            assertEquals("bn", config.get("name").asText());
            assertTrue(config.get("version").asText().startsWith("adapters."));
            assertTrue(config.get("config").get("architecture").isNull());
            assertEquals(2, config.get("config").get("reduction_factor").asInt());
            assertEquals("swish", config.get("config").get("non_linearity").asText());
            assertTrue(config.get("config").get("mh_adapter").asBoolean());
            assertEquals("learned", config.get("config").get("scaling").asText());
            assertFalse(config.get("config").get("phm_layer").asBoolean());
            try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("adapter.safetensors"))) {
                String at = "layers.0.attention_adapters.adapters.bn.";
                assertTrue(file.tensors().keySet().containsAll(List.of(at + "adapter_down.0.weight",
                        at + "adapter_norm_before.weight", at + "adapter_down.1.weight", at + "adapter_down.1.bias",
                        at + "adapter_up.weight", at + "adapter_up.bias", at + "scaling",
                        "layers.1.output_adapters.adapters.bn.adapter_up.weight")), file.tensors().keySet().toString());
                assertEquals(2 * 2 * 9, file.tensors().size());
            }

            AdapterModel<TinyModel> fresh = BottleneckTest.model(manager);
            fresh.loadAdapter(folder, "again");
            fresh.setActiveAdapters("again");
            assertArrayEquals(trained, ReferenceWeights.run(fresh, manager));
            assertEquals(peft.adapterConfig("bn"), fresh.adapterConfig("again"));
        }
    }

    @Test
    void readsAFileWithAHeadModelsPrefixAndRefusesUnsupportedFeatures() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = BottleneckTest.model(manager);
            peft.addAdapter("bn", SeqBnConfig.builder().reductionFactor(4).build());
            BottleneckTest.perturb(peft, "bn", manager, 5);
            peft.setActiveAdapters("bn");
            float[] trained = ReferenceWeights.run(peft, manager);
            peft.saveAdapter(dir);
            Path folder = dir.resolve("bn");
            // as saved from a model with a head: every key under "model."
            Path prefixed = Files.createDirectories(dir.resolve("prefixed"));
            Files.copy(folder.resolve("adapter_config.json"), prefixed.resolve("adapter_config.json"));
            try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("adapter.safetensors"))) {
                SafetensorsWriter writer = new SafetensorsWriter();
                for (String key : file.tensors().keySet()) {
                    writer.addArray("model." + key, manager.create(file.readFloat32(key), file.tensors().get(key).shape(),
                            ai.djl.ndarray.types.DataType.FLOAT32));
                }
                writer.write(prefixed.resolve("adapter.safetensors"));
            }
            AdapterModel<TinyModel> fresh = BottleneckTest.model(manager);
            fresh.loadAdapter(prefixed, "bn");
            fresh.setActiveAdapters("bn");
            assertArrayEquals(trained, ReferenceWeights.run(fresh, manager));

            String text = Files.readString(folder.resolve("adapter_config.json"));
            Files.writeString(folder.resolve("adapter_config.json"), text.replace("\"use_gating\": false",
                    "\"use_gating\": true"));
            CheckpointException gating = assertThrows(CheckpointException.class,
                    () -> AdapterConfigFile.read(folder.resolve("adapter_config.json")));
            assertTrue(gating.getMessage().contains("'config.use_gating' is true"), gating.getMessage());
            Files.writeString(folder.resolve("adapter_config.json"), text.replace("\"non_linearity\": \"relu\"",
                    "\"non_linearity\": \"softsign\""));
            CheckpointException activation = assertThrows(CheckpointException.class,
                    () -> AdapterConfigFile.read(folder.resolve("adapter_config.json")));
            assertTrue(activation.getMessage().contains("non_linearity 'softsign' is not supported"),
                    activation.getMessage());
        }
    }

    @Test
    void readsTheConfigAsTheLibraryWritesIt() throws Exception {
        // dataclasses.asdict(SeqBnConfig()) with the library's top-level keys
        Path file = dir.resolve("adapter_config.json");
        Files.writeString(file, """
                {"config": {"architecture": null, "mh_adapter": false, "output_adapter": true,
                  "reduction_factor": {"0": 8, "default": 16}, "non_linearity": "relu", "original_ln_before": true,
                  "original_ln_after": true, "ln_before": false, "ln_after": false, "init_weights": "bert",
                  "init_weights_seed": null, "is_parallel": false, "scaling": 1.0, "use_gating": false,
                  "residual_before_ln": true, "adapter_residual_before_ln": false, "inv_adapter": null,
                  "inv_adapter_reduction_factor": null, "cross_adapter": false, "leave_out": [11], "dropout": 0.0,
                  "phm_layer": false, "phm_dim": 4, "factorized_phm_W": true, "shared_W_phm": false,
                  "shared_phm_rule": true, "factorized_phm_rule": false, "phm_c_init": "normal",
                  "phm_init_range": 0.0001, "learn_phm": true, "hypercomplex_nonlinearity": "glorot-uniform",
                  "phm_rank": 1, "phm_bias": true, "stochastic_depth": 0.0},
                 "hidden_size": 384, "model_class": "BertAdapterModel", "model_name": "sentence-transformers/x",
                 "model_type": "bert", "name": "sst", "version": "adapters.1.2.0"}""");
        AdapterConfigFile read = AdapterConfigFile.read(file);
        assertTrue(read.unknownKeys().isEmpty(), read.unknownKeys().toString());
        assertEquals("sst", read.savedName());
        BnConfig config = (BnConfig) read.config();
        assertEquals(SeqBnConfig.builder().reductionFactor(new ReductionFactor(null, Map.of("0", 8.0, "default", 16.0)))
                .leaveOut(List.of(11)).build(), config);
        assertEquals(384 / 8, config.width(384, 0));
        assertEquals(384 / 16, config.width(384, 3));
    }

    private static TreeSet<String> names(Path folder) throws Exception {
        TreeSet<String> names = new TreeSet<>();
        try (var files = Files.list(folder)) {
            files.forEach(f -> names.add(f.getFileName().toString()));
        }
        return names;
    }
}
