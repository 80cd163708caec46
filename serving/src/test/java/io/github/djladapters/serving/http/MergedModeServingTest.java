package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.serving.model.BatchSettings;
import io.github.djladapters.serving.registry.RegistryOptions;
import io.github.djladapters.serving.registry.ServingMode;
import io.github.djladapters.serving.registry.TinyBert;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergedModeServingTest {

    private static float[] vector(JsonNode node) {
        float[] v = new float[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) node.get(i).asDouble();
        }
        return v;
    }

    @Test
    void mergedModeServesMixedRequestsOneAdapterPerBatchWithTheSameResults(@TempDir Path root, @TempDir Path cache)
            throws Exception {
        TinyBert.writeLora(root.resolve("a1"), 1, 16);
        TinyBert.writeLora(root.resolve("a2"), 2, 16);
        List<String> texts = List.of("one small text", "another text here", "the third", "and a fourth one");
        List<String> adapters = List.of("a1", "a2", "", "a1");
        try (TestServer server = new TestServer(root, cache, new RegistryOptions(8, 1L << 30, ServingMode.MERGED),
                BatchSettings.DEFAULTS, ServerOptions.ephemeral())) {
            TestServer.Reply mixed = server.inference("POST", "/invocations",
                    Exchange.JSON.writeValueAsString(Map.of("inputs", texts, "adapters", adapters)));
            assertEquals(200, mixed.status(), mixed.body());
            for (int i = 0; i < texts.size(); i++) {
                TestServer.Reply alone = server.inference("POST", "/invocations?adapter=" + adapters.get(i),
                        Exchange.JSON.writeValueAsString(Map.of("inputs", texts.get(i))));
                float[] expected = vector(alone.json());
                float[] got = vector(mixed.json().get(i));
                assertTrue(TinyBert.maxDiff(expected, got) < 1e-5, "row " + i + ": " + TinyBert.maxDiff(expected, got));
            }
            // the merged adapter really applies: a1 differs from the base for the same text
            TestServer.Reply base = server.inference("POST", "/invocations",
                    Exchange.JSON.writeValueAsString(Map.of("inputs", texts.get(0))));
            assertTrue(TinyBert.maxDiff(vector(base.json()), vector(mixed.json().get(0))) > 1e-3);
        }
    }
}
