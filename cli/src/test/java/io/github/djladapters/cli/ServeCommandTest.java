package io.github.djladapters.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A LoRA for all-MiniLM-L6-v2 with small random A and B. */
    private static void writeMiniLmLora(Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel bert = new BertModel(BertConfig.allMiniLmL6V2());
            bert.initialize(manager);
            AdapterModel<BertModel> scratch = Adapters.init(bert);
            scratch.addAdapter("x", LoRAConfig.builder().r(4).loraAlpha(8).targetModules("query", "value").build());
            java.util.Random random = new java.util.Random(3);
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            scratch.adapterTensors("x", manager).forEach((key, value) -> {
                float[] values = new float[(int) value.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextGaussian() * 0.2f;
                }
                tensors.put(key, manager.create(values, value.getShape()));
            });
            scratch.loadAdapterTensors("x", tensors);
            scratch.saveAdapterFolder("x", dir);
        }
    }

    private static float[] embedding(HttpClient client, String inference, String model) throws Exception {
        String body = "{\"model\": \"" + model + "\", \"input\": \"the battery lasts all day\"}";
        HttpResponse<String> reply = client.send(HttpRequest.newBuilder(URI.create("http://" + inference + "/v1/embeddings"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reply.statusCode(), reply.body());
        JsonNode vector = JSON.readTree(reply.body()).get("data").get(0).get("embedding");
        float[] v = new float[vector.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) vector.get(i).asDouble();
        }
        return v;
    }

    @Test
    void servePrintsBothAddressesAndServesTheBuiltInModelWithItsAdapters(@TempDir Path root) throws Exception {
        writeMiniLmLora(root.resolve("reviews"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicInteger code = new AtomicInteger(-1);
        Thread serve = new Thread(() -> code.set(DjlAdapters.execute(new PrintWriter(out), new PrintWriter(err), "serve",
                "--adapters", root.toString(), "--port", "0", "--management-port", "0",
                "--cache-dir", CommandRun.CACHE.toString())));
        serve.start();
        Pattern lines = Pattern.compile("inference: (\\S+)\\nmanagement: (\\S+)\\n");
        Matcher m = lines.matcher("");
        for (int i = 0; i < 600 && !m.reset(out.toString()).find() && serve.isAlive(); i++) {
            Thread.sleep(100);
        }
        assertTrue(m.reset(out.toString()).find(), out + "\n" + err);
        String inference = m.group(1);
        String management = m.group(2);
        assertTrue(inference.startsWith("127.0.0.1:") && management.startsWith("127.0.0.1:"), out.toString());
        try {
            HttpClient client = HttpClient.newHttpClient();
            float[] base = embedding(client, inference, "all-MiniLM-L6-v2");
            float[] adapted = embedding(client, inference, "reviews");
            assertEquals(384, base.length);
            double norm = 0;
            double diff = 0;
            for (int i = 0; i < base.length; i++) {
                norm += base[i] * base[i];
                diff = Math.max(diff, Math.abs(base[i] - adapted[i]));
            }
            assertEquals(1.0, norm, 1e-4);
            assertTrue(diff > 1e-3, "the adapter changes the embedding");
            HttpResponse<String> adapters = client.send(HttpRequest.newBuilder(
                    URI.create("http://" + management + "/models/all-MiniLM-L6-v2/adapters")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("reviews", JSON.readTree(adapters.body()).get("adapters").get(0).get("name").asText());
        } finally {
            serve.interrupt();
            serve.join(30_000);
        }
        assertEquals(DjlAdapters.OK, code.get(), err.toString());
    }
}
