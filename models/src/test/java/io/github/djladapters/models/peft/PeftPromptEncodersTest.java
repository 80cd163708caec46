package io.github.djladapters.models.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.djladapters.runtime.methods.prefix.PrefixWeights;
import io.github.djladapters.runtime.methods.prompt.PromptLstmEncoder;
import io.github.djladapters.runtime.methods.prompt.PromptMlpEncoder;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The reparameterizations that PEFT trains but does not save (P-tuning's MLP and LSTM encoders,
 * prefix tuning's projection) compute here what they computed in PEFT: the trained encoder's own
 * weights ({@code prompt_encoder.safetensors}, written by the fixture script) give PEFT's saved
 * {@code prompt_embeddings}.
 */
class PeftPromptEncodersTest {

    private static final double TOLERANCE = 1e-5;

    @Test
    void mlpEncoderMatchesPeft() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            PromptMlpEncoder encoder = new PromptMlpEncoder(6, 64, 32, manager);
            load("gpt2-p-tuning-mlp", encoder, manager);
            assertMatches("gpt2-p-tuning-mlp", encoder, encoder.prompts(manager), manager);
        }
    }

    @Test
    void lstmEncoderMatchesPeft() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            PromptLstmEncoder encoder = new PromptLstmEncoder(6, 64, 8, 2, manager);
            load("gpt2-p-tuning-lstm", encoder, manager);
            assertMatches("gpt2-p-tuning-lstm", encoder, encoder.prompts(manager), manager);
        }
    }

    @Test
    void prefixProjectionMatchesPeft() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            PrefixWeights weights = PrefixWeights.fresh(6, 2, 64, 16, false, manager);
            load("gpt2-prefix-projection", weights, manager);
            assertMatches("gpt2-prefix-projection", weights, weights.all(manager), manager);
        }
    }

    /** Sets every parameter from PEFT's state dict ({@code embedding} is PEFT's {@code embedding.weight}). */
    private static void load(String name, Block block, NDManager manager) throws Exception {
        Path file = PromptLearningFixture.root().resolve(name).resolve("prompt_encoder.safetensors");
        Set<String> ours = new TreeSet<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            Parameter parameter = entry.getValue();
            String key = parameter.getName().equals("embedding") ? "embedding.weight" : parameter.getName();
            NDArray value = PromptLearningFixture.read(file, key, manager);
            assertEquals(value.getShape(), parameter.getArray().getShape(), key);
            parameter.getArray().set(value.toFloatArray());
            ours.add(key);
        }
        try (SafetensorsFile peft = SafetensorsFile.open(file)) {
            assertEquals(new TreeSet<>(peft.tensors().keySet()), ours, "every PEFT parameter has its place");
        }
    }

    private static void assertMatches(String name, Block block, NDArray ours, NDManager manager) throws Exception {
        Path saved = PromptLearningFixture.root().resolve(name).resolve("adapter_model.safetensors");
        NDArray peft = PromptLearningFixture.read(saved, "prompt_embeddings", manager);
        assertEquals(peft.getShape(), ours.getShape());
        double diff = peft.sub(ours).abs().max().getFloat();
        assertTrue(diff < TOLERANCE, name + " differs from PEFT's saved prompt_embeddings by " + diff);
        assertTrue(peft.abs().max().getFloat() > 0.1, "a real output");
    }
}
