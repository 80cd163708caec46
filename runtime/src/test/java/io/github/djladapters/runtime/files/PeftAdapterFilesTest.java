package io.github.djladapters.runtime.files;

import static io.github.djladapters.runtime.methods.ReferenceWeights.run;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving in PEFT's layout and loading back into a fresh model. */
class PeftAdapterFilesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LoRAConfig ROLES_QV = LoRAConfig.builder().r(2).loraAlpha(4)
            .initLoraWeights(LoRAInit.NONE).build();

    @TempDir Path dir;

    @Test
    void saveThenLoadIntoAFreshModelGivesIdenticalOutputs() throws IOException {
        roundTrip(ROLES_QV);
    }

    @Test
    void doraRoundTripsWithItsMagnitudeVector() throws IOException {
        roundTrip(ROLES_QV.toBuilder().useDora(true).build());
        assertTrue(keys(dir.resolve(PeftAdapterFiles.WEIGHTS_FILE)).contains(
                "base_model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"));
    }

    @Test
    void ia3RoundTripsWithFeedForwardModulesExplicit() throws IOException {
        roundTrip(IA3Config.builder().initIa3Weights(false).build());
        JsonNode config = config(dir);
        assertEquals("IA3", config.get("peft_type").asText());
        assertEquals(List.of("down_proj", "k_proj", "v_proj"), strings(config.get("target_modules")));
        assertEquals(List.of("down_proj"), strings(config.get("feedforward_modules")));
        assertEquals(PeftConfigKeys.defaults("IA3").deepCopy().properties().stream().map(Map.Entry::getKey)
                .collect(java.util.stream.Collectors.toCollection(TreeSet::new)), fieldNames(config));
    }

    @Test
    void loraOnOnlyQAndVOfAFusedQkvIsSavedAsTheWholeModule() throws IOException {
        roundTrip(ROLES_QV, true);
        assertEquals(List.of("qkv_proj"), strings(config(dir).get("target_modules")));
    }

    @Test
    void leftOutLayersBecomeLayersToTransform() throws IOException {
        roundTrip(ROLES_QV.toBuilder().intermediateLora(true).leaveOut(List.of(1)).build());
        JsonNode config = config(dir);
        assertEquals(List.of("q_proj", "up_proj", "v_proj"), strings(config.get("target_modules")));
        assertEquals("[0]", config.get("layers_to_transform").toString());
    }

    @Test
    void configHoldsExactlyPeftsKeysWithRoleTargetsWrittenAsModuleNames() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false).baseModelNameOrPath("tiny/llama");
            peft.addAdapter("default", ROLES_QV);
            peft.saveAdapter(dir);
            JsonNode config = config(dir);
            Path fixture = Path.of(PeftAdapterFilesTest.class.getResource("/peft/bert-lora/adapter_config.json")
                    .getPath());
            assertEquals(fieldNames(JSON.readTree(fixture.toFile())), fieldNames(config), "PEFT 0.21's key set");
            assertEquals(List.of("q_proj", "v_proj"), strings(config.get("target_modules")));
            assertEquals("LORA", config.get("peft_type").asText());
            assertEquals(2, config.get("r").asInt());
            assertEquals(4, config.get("lora_alpha").asInt());
            assertEquals("tiny/llama", config.get("base_model_name_or_path").asText());
            assertTrue(config.get("peft_version").asText().contains("djl-adapters"));
            assertFalse(config.has("attn_matrices") || config.has("leave_out") || config.has("selfattn_lora"));
            String text = Files.readString(dir.resolve(PeftAdapterFiles.CONFIG_FILE));
            assertTrue(text.startsWith("{\n  \"alora_invocation_tokens\": null,\n  \"alpha_pattern\": {},"), text);
            assertTrue(text.contains("\"target_modules\": [\n    \"q_proj\",\n    \"v_proj\"\n  ],"), text);
            String card = Files.readString(dir.resolve(PeftAdapterFiles.MODEL_CARD_FILE));
            assertTrue(card.startsWith("---\nbase_model: tiny/llama\nlibrary_name: peft\ntags:\n"), card);
            try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve(PeftAdapterFiles.WEIGHTS_FILE))) {
                assertEquals(Map.of("format", "pt"), weights.metadata());
                List<String> keys = new ArrayList<>(weights.tensors().keySet());
                assertEquals(new ArrayList<>(new TreeSet<>(keys)), keys, "sorted");
                assertEquals(8, keys.size());
            }
        }
    }

    @Test
    void savingTwiceGivesIdenticalBytes() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("default", ROLES_QV);
            peft.addAdapter("other", ROLES_QV.toBuilder().useDora(true).build());
            peft.saveAdapter(dir.resolve("first"));
            peft.saveAdapter(dir.resolve("second"));
            for (String file : List.of("adapter_config.json", "adapter_model.safetensors", "README.md",
                    "other/adapter_config.json", "other/adapter_model.safetensors", "other/README.md")) {
                assertArrayEquals(Files.readAllBytes(dir.resolve("first").resolve(file)),
                        Files.readAllBytes(dir.resolve("second").resolve(file)), file);
            }
        }
    }

    @Test
    void defaultGoesToTheFolderAndOthersToSubfoldersOnlyWhenSelected() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("default", ROLES_QV);
            peft.addAdapter("a", ROLES_QV);
            peft.addAdapter("b", ROLES_QV);
            peft.saveAdapter(dir, "a");
            assertTrue(Files.exists(dir.resolve("a").resolve(PeftAdapterFiles.CONFIG_FILE)));
            assertFalse(Files.exists(dir.resolve(PeftAdapterFiles.CONFIG_FILE)));
            assertFalse(Files.exists(dir.resolve("b")));
            peft.saveAdapter(dir);
            assertTrue(Files.exists(dir.resolve(PeftAdapterFiles.WEIGHTS_FILE)));
            assertTrue(Files.exists(dir.resolve("b").resolve(PeftAdapterFiles.WEIGHTS_FILE)));
            assertThrows(IllegalArgumentException.class, () -> peft.saveAdapter(dir, "missing"));
        }
    }

    @Test
    void aSaveThatFailsAfterTheFirstFilesLeavesThePreviousFilesIntact() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("default", ROLES_QV);
            peft.addAdapter("b", ROLES_QV);
            peft.saveAdapter(dir);
            Map<String, byte[]> before = snapshot(dir);
            Map<String, NDArray> changed = new java.util.LinkedHashMap<>();
            peft.adapterTensors("default", manager).forEach((k, v) -> changed.put(k, v.mul(2)));
            peft.loadAdapterTensors("default", changed);
            // "default" is staged first; then dir/b cannot be a folder, so the save fails after its files.
            for (Path file : List.of(PeftAdapterFiles.CONFIG_FILE, PeftAdapterFiles.WEIGHTS_FILE,
                    PeftAdapterFiles.MODEL_CARD_FILE).stream().map(dir.resolve("b")::resolve).toList()) {
                Files.delete(file);
            }
            Files.delete(dir.resolve("b"));
            Files.writeString(dir.resolve("b"), "not a folder");
            assertThrows(IOException.class, () -> peft.saveAdapter(dir));
            Map<String, byte[]> after = snapshot(dir);
            for (String file : List.of(PeftAdapterFiles.CONFIG_FILE, PeftAdapterFiles.WEIGHTS_FILE,
                    PeftAdapterFiles.MODEL_CARD_FILE)) {
                assertArrayEquals(before.get(file), after.get(file), file);
            }
            assertEquals(Set.of(PeftAdapterFiles.CONFIG_FILE, PeftAdapterFiles.WEIGHTS_FILE,
                    PeftAdapterFiles.MODEL_CARD_FILE, "b"), after.keySet(), "no temporary files left");
            Files.delete(dir.resolve("b"));
            peft.saveAdapter(dir);
            assertNotEquals(List.of(before.get(PeftAdapterFiles.WEIGHTS_FILE)),
                    List.of(Files.readAllBytes(dir.resolve(PeftAdapterFiles.WEIGHTS_FILE))));
        }
    }

    /** Saves one adapter as "default", loads it into a fresh model and compares outputs and tensors. */
    private void roundTrip(AdapterConfig config) throws IOException {
        roundTrip(config, false);
    }

    private void roundTrip(AdapterConfig config, boolean fused) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> saved = tiny(manager, fused);
            saved.addAdapter("default", config);
            saved.setActiveAdapters("default");
            float[] expected = run(saved, manager);
            saved.saveAdapter(dir);
            AdapterModel<TinyModel> fresh = tiny(manager, fused);
            float[] base = run(fresh, manager);
            fresh.loadAdapter(dir);
            fresh.setActiveAdapters("default");
            assertArrayEquals(expected, run(fresh, manager));
            assertFalse(java.util.Arrays.equals(base, expected), "the adapter changes the output");
            Map<String, NDArray> before = saved.adapterTensors("default", manager);
            Map<String, NDArray> after = fresh.adapterTensors("default", manager);
            assertEquals(before.keySet(), after.keySet());
            before.forEach((k, v) -> assertArrayEquals(v.toFloatArray(), after.get(k).toFloatArray(), k));
            assertEquals(before.keySet(), keys(dir.resolve(PeftAdapterFiles.WEIGHTS_FILE)), "no missing keys");
        }
    }

    static JsonNode config(Path folder) throws IOException {
        return JSON.readTree(folder.resolve(PeftAdapterFiles.CONFIG_FILE).toFile());
    }

    private static Set<String> keys(Path weights) throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            return new TreeSet<>(file.tensors().keySet());
        }
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static Map<String, byte[]> snapshot(Path folder) throws IOException {
        Map<String, byte[]> files = new java.util.TreeMap<>();
        try (Stream<Path> list = Files.list(folder)) {
            for (Path file : list.toList()) {
                files.put(file.getFileName().toString(), Files.isRegularFile(file) ? Files.readAllBytes(file)
                        : new byte[0]);
            }
        }
        return files;
    }
}
