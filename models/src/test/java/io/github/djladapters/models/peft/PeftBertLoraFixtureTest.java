package io.github.djladapters.models.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LoRA trained and saved by Hugging Face PEFT on all-MiniLM-L6-v2 reproduces PEFT's own outputs
 * here: base, adapter and merged {@code last_hidden_state} on the same inputs.
 */
class PeftBertLoraFixtureTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path cacheDir;

    private static NDManager manager;
    private static AdapterModel<BertModel> adapters;
    private static JsonNode fixture;

    @BeforeAll
    static void loadModelAndPeftAdapter() throws Exception {
        manager = NDManager.newBaseManager();
        Path dir = Path.of(PeftBertLoraFixtureTest.class.getResource("/peft/bert-lora/outputs.json").toURI()).getParent();
        fixture = JSON.readTree(dir.resolve("outputs.json").toFile());
        adapters = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));

        adapters.loadAdapter(dir);
        adapters.setActiveAdapters("default");
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void peftKeysAndShapesMatchOurAdapter() throws Exception {
        Map<String, NDArray> ours = adapters.adapterTensors("default", manager);
        Path file = Path.of(PeftBertLoraFixtureTest.class.getResource("/peft/bert-lora/adapter_model.safetensors").toURI());
        try (SafetensorsFile peft = SafetensorsFile.open(file)) {
            assertEquals(peft.tensors().keySet(), ours.keySet());
            for (Map.Entry<String, TensorInfo> entry : peft.tensors().entrySet()) {
                assertEquals(entry.getValue().shape(), ours.get(entry.getKey()).getShape(), entry.getKey());
            }
        }
        assertEquals(24, ours.size(), "query and value of 6 layers, A and B each");
    }

    @Test
    void baseAdapterAndMergedOutputsMatchPeft() {
        double largestChange = 0;
        JsonNode cases = fixture.get("cases");
        for (int i = 0; i < cases.size(); i++) {
            JsonNode input = cases.get(i);
            NDArray base;
            try (AdapterModel.DisabledScope disabled = adapters.disableAdapters()) {
                base = forward(input);
            }
            NDArray adapted = forward(input);
            assertClose("base", i, fixture.get("outputs").get("base").get(i), base, input);
            assertClose("adapter", i, fixture.get("outputs").get("adapter").get(i), adapted, input);
            largestChange = Math.max(largestChange, adapted.sub(base).abs().max().getFloat());
        }
        assertTrue(largestChange > 1, "the adapter changes the output: " + largestChange);

        adapters.mergeAdapter("default");
        try {
            for (int i = 0; i < cases.size(); i++) {
                assertClose("merged", i, fixture.get("outputs").get("merged").get(i), forward(cases.get(i)),
                        cases.get(i));
            }
        } finally {
            adapters.unmergeAdapter("default");
        }
    }

    private static NDArray forward(JsonNode input) {
        NDList inputs = new NDList(ids(input.get("input_ids")), ids(input.get("attention_mask")),
                ids(input.get("token_type_ids")));
        return adapters.forward(inputs).head();
    }

    private static NDArray ids(JsonNode rows) {
        long[][] values = new long[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            values[r] = new long[rows.get(r).size()];
            for (int c = 0; c < values[r].length; c++) {
                values[r][c] = rows.get(r).get(c).asLong();
            }
        }
        return manager.create(values);
    }

    /** Compares every non-padding position with PEFT's output. */
    private static void assertClose(String what, int caseIndex, JsonNode expected, NDArray actual, JsonNode input) {
        float[] values = actual.toFloatArray();
        long[] shape = actual.getShape().getShape();
        assertEquals(expected.size(), shape[0]);
        double maxAbs = 0;
        for (int b = 0; b < shape[0]; b++) {
            for (int t = 0; t < shape[1]; t++) {
                if (input.get("attention_mask").get(b).get(t).asInt() == 0) {
                    continue;
                }
                JsonNode row = expected.get(b).get(t);
                for (int h = 0; h < shape[2]; h++) {
                    double diff = Math.abs(values[(int) ((b * shape[1] + t) * shape[2] + h)] - row.get(h).asDouble());
                    maxAbs = Math.max(maxAbs, diff);
                }
            }
        }
        assertTrue(maxAbs < TOLERANCE, what + " output of case " + caseIndex + " differs from PEFT by " + maxAbs);
    }
}
