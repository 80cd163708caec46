package io.github.djladapters.samples.custom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DescriptorSampleTest {

    @Test
    void theDescriptorsBindingsAreFoundAndTheLoraLearnsSavesAndReloads(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DescriptorSample.Result result;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            result = DescriptorSample.run(out, dir.resolve("lora"), 60);
        }
        String report = bytes.toString(StandardCharsets.UTF_8);
        assertEquals("VendorEncoderAdapters_AdapterBindings", result.bindings());
        assertTrue(report.contains("Q_PROJ              layers.0.self_attn.q_proj"), report);
        assertTrue(report.contains("PRE_FFN             layers.0.post_attention_layernorm"), report);
        // r=4 on q and v (32 -> 32) of 2 layers: 2 * 2 * (4 * 32 + 32 * 4)
        assertTrue(report.contains("trainable params: 1,024 ||"), report);
        List<Float> losses = result.losses();
        assertEquals(60, losses.size());
        assertTrue(losses.get(59) < 0.1f * losses.get(0), "loss " + losses.get(0) + " -> " + losses.get(59));
        assertEquals(List.of("README.md", "adapter_config.json", "adapter_model.safetensors"), result.savedFiles());
        assertTrue(result.reloadDifference() < 1e-5, "reloaded differs by " + result.reloadDifference());
    }
}
