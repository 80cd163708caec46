package io.github.djladapters.serving.http;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.serving.model.BatchSettings;
import io.github.djladapters.serving.model.EmbeddingService;
import io.github.djladapters.serving.model.ServedModel;
import io.github.djladapters.serving.registry.AdapterRegistry;
import io.github.djladapters.serving.registry.AdapterRoot;
import io.github.djladapters.serving.registry.RegistryOptions;
import io.github.djladapters.serving.registry.TinyBert;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

/**
 * A server on loopback ports over a tiny random BERT with all-MiniLM-L6-v2's tokenizer, and a client
 * (one for every test server: the JDK's client keeps its threads until it is collected).
 */
final class TestServer implements AutoCloseable {

    static final String MODEL = "tiny-bert";

    final NDManager manager = NDManager.newBaseManager();
    final ServedModel model;
    final ServingServer server;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    TestServer(Path root, Path cache, RegistryOptions options, BatchSettings batching, ServerOptions serverOptions)
            throws Exception {
        PaddedBatchTokenizer tokenizer = AllMiniLmL6V2.tokenizer(cache, 64);
        AdapterRegistry registry = new AdapterRegistry(TinyBert.model(manager), new AdapterRoot(root), options);
        registry.scan();
        model = new ServedModel(MODEL, root.toString(), registry, new EmbeddingService(registry, tokenizer, batching), null,
                List.of(tokenizer));
        server = ServingServer.start(model, serverOptions);
    }

    TestServer(Path root, Path cache) throws Exception {
        this(root, cache, RegistryOptions.DEFAULTS, BatchSettings.DEFAULTS, ServerOptions.ephemeral());
    }

    /** A response: status, content type and body. */
    record Reply(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return Exchange.JSON.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    Reply inference(String method, String pathAndQuery, String body, String... headers) throws Exception {
        return call(server.inferenceAddress(), method, pathAndQuery, body, headers);
    }

    Reply management(String method, String pathAndQuery, String body, String... headers) throws Exception {
        return call(server.managementAddress(), method, pathAndQuery, body, headers);
    }

    Reply call(String address, String method, String pathAndQuery, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + address + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
    }

    @Override
    public void close() throws Exception {
        server.close();
        model.close();
        manager.close();
    }
}
