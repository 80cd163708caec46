package io.github.djladapters.runtime.files;

import static io.github.djladapters.runtime.methods.ReferenceWeights.run;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hand-made corpus of bad files in {@code bad-files/} (made by its {@code make_bad_files.py}):
 * every safetensors file is refused by the reader, and every {@code adapter_config.json} (next to
 * good weights) by {@code loadAdapter}, with an error naming the file and holding the fragment
 * {@code expected.json} lists; a refused adapter leaves the model's output bit-identical.
 */
class BadFilesCorpusTest {

    @TempDir Path temp;

    static Stream<String> safetensorsCases() throws IOException, URISyntaxException {
        return cases("safetensors/");
    }

    static Stream<String> configCases() throws IOException, URISyntaxException {
        return cases("adapter_config/");
    }

    private static Stream<String> cases(String prefix) throws IOException, URISyntaxException {
        List<String> names = new ArrayList<>();
        expected().fieldNames().forEachRemaining(name -> {
            if (name.startsWith(prefix)) {
                names.add(name);
            }
        });
        return names.stream();
    }

    private static JsonNode expected() throws IOException, URISyntaxException {
        return new ObjectMapper().readTree(corpus().resolve("expected.json").toFile());
    }

    private static Path corpus() throws URISyntaxException {
        return Path.of(BadFilesCorpusTest.class.getResource("/bad-files/expected.json").toURI()).getParent();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("safetensorsCases")
    void safetensorsReaderRefusesNamingTheFile(String name) throws Exception {
        Path file = corpus().resolve(name);
        String fragment = expected().get(name).asText();
        CheckpointException e = assertThrows(CheckpointException.class, () -> {
            try (SafetensorsFile opened = SafetensorsFile.open(file)) {
                opened.tensors();
            }
        });
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configCases")
    void adapterConfigIsRefusedNamingTheFileAndTheModelIsUnchanged(String name) throws Exception {
        String fragment = expected().get(name).asText();
        Path folder = temp.resolve("adapter");
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("good", LoRAConfig.builder().r(2).initLoraWeights(LoRAInit.NONE).build());
            peft.saveAdapterFolder("good", folder);
            peft.deleteAdapter("good");
            Files.copy(corpus().resolve(name), folder.resolve(PeftAdapterFiles.CONFIG_FILE),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            float[] before = run(peft, manager);
            Exception e = assertThrows(Exception.class, () -> peft.loadAdapter(folder, "bad"));
            assertTrue(e instanceof IOException || e instanceof IllegalArgumentException, e.toString());
            assertTrue(e.getMessage().contains(PeftAdapterFiles.CONFIG_FILE), e.getMessage());
            assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
            assertTrue(peft.adapters().isEmpty(), "nothing added");
            assertArrayEquals(before, run(peft, manager), "the model is unchanged");
        }
    }
}
