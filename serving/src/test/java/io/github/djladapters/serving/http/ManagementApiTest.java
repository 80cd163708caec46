package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.serving.model.BatchSettings;
import io.github.djladapters.serving.registry.RegistryOptions;
import io.github.djladapters.serving.registry.ServingMode;
import io.github.djladapters.serving.registry.TinyBert;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManagementApiTest {

    @TempDir
    static Path root;

    @TempDir
    static Path cache;

    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        for (String name : List.of("a1", "a2", "a3", "a4", "b1")) {
            TinyBert.writeLora(root.resolve("pool").resolve(name), name.hashCode(), 16);
        }
        TinyBert.writeLora(root.resolve("pool/wide"), 5, 32);
        server = new TestServer(root, cache, new RegistryOptions(3, 1L << 30, ServingMode.UNMERGED), BatchSettings.DEFAULTS,
                ServerOptions.ephemeral());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static void assertError(TestServer.Reply reply, int code, String type, String message) {
        assertEquals(code, reply.status(), reply.body());
        JsonNode body = reply.json();
        assertEquals(code, body.get("code").asInt(), reply.body());
        assertEquals(type, body.get("type").asText(), reply.body());
        assertEquals(message, body.get("message").asText(), reply.body());
    }

    @Test
    void registerDescribeListUpdateAndUnregisterWithAndWithoutModelPrefix() throws Exception {
        String prefix = "/models/" + TestServer.MODEL;
        TestServer.Reply registered = server.management("POST", prefix + "/adapters?name=m1&src=pool/a1", null);
        assertEquals(200, registered.status(), registered.body());
        assertEquals("Adapter m1 registered", registered.json().get("status").asText());
        assertEquals(200, server.management("POST", "/adapters?name=m2&src=pool/a2&preload=false&pin=false", null).status());

        JsonNode described = server.management("GET", prefix + "/adapters/m1", null).json();
        assertEquals("m1", described.get("name").asText());
        assertEquals(root.resolve("pool/a1").toRealPath().toString(), described.get("src").asText());
        assertTrue(described.get("preload").asBoolean());
        assertFalse(described.get("pin").asBoolean());

        JsonNode page = server.management("GET", "/adapters?limit=1", null).json();
        assertEquals(1, page.get("adapters").size());
        assertEquals("1", page.get("nextPageToken").asText());
        JsonNode rest = server.management("GET", prefix + "/adapters?limit=100&next_page_token=1", null).json();
        assertFalse(rest.has("nextPageToken"));

        TestServer.Reply updated = server.management("POST", "/adapters/m1/update?pin=true", null);
        assertEquals("Adapter m1 updated", updated.json().get("status").asText());
        assertTrue(server.management("GET", "/adapters/m1", null).json().get("pin").asBoolean());

        assertEquals("Adapter m1 unregistered", server.management("DELETE", prefix + "/adapters/m1", null).json()
                .get("status").asText());
        assertEquals("Adapter m2 unregistered", server.management("DELETE", "/adapters/m2", null).json()
                .get("status").asText());
        assertError(server.management("DELETE", "/adapters/m2", null), 404, "AdapterNotFoundException",
                "The adapter m2 was not found");
    }

    @Test
    void errorsCarryDjlServingStatusCodes() throws Exception {
        assertError(server.management("POST", "/adapters?src=pool/a1", null), 400, "BadRequestException",
                "Parameter name is required");
        assertError(server.management("POST", "/adapters?name=e1", null), 400, "BadRequestException",
                "Parameter src is required");
        assertError(server.management("GET", "/models/nope/adapters", null), 404, "ModelNotFoundException",
                "The model nope was not found");
        assertError(server.management("GET", "/adapters/nope", null), 404, "AdapterNotFoundException",
                "The adapter nope was not found");
        assertEquals(405, server.management("PUT", "/adapters", null).status());
        assertEquals(405, server.management("PUT", "/adapters/nope", null).status());

        assertEquals(200, server.management("POST", "/adapters?name=e1&src=pool/a3", null).status());
        assertError(server.management("POST", "/adapters?name=e1&src=pool/a3", null), 409, "ConflictException",
                "Adapter e1 is already registered");
        TestServer.Reply failed = server.management("POST", "/adapters?name=e2&src=pool/wide", null);
        assertEquals(424, failed.status(), failed.body());
        assertTrue(failed.json().get("message").asText().startsWith("Failed to load adapter e2 from "), failed.body());
        for (String src : List.of("../x", "pool/../../x", "http://example.com/a1", "/etc")) {
            TestServer.Reply refused = server.management("POST", "/adapters?name=e3&src=" + src, null);
            assertEquals(400, refused.status(), src + ": " + refused.body());
        }
        assertEquals(200, server.management("DELETE", "/adapters/e1", null).status());
    }

    @Test
    void noRoomIs507() throws Exception {
        for (String name : List.of("p1", "p2", "p3")) {
            assertEquals(200, server.management("POST", "/adapters?name=" + name + "&src=pool/a4&pin=true", null).status());
        }
        TestServer.Reply full = server.management("POST", "/adapters?name=p4&src=pool/b1", null);
        assertEquals(507, full.status(), full.body());
        assertEquals("InsufficientStorageException", full.json().get("type").asText());
        for (String name : List.of("p1", "p2", "p3")) {
            assertEquals(200, server.management("DELETE", "/adapters/" + name, null).status());
        }
    }

    @Test
    void vllmLoadAndUnloadLoraAdapter() throws Exception {
        TestServer.Reply loaded = server.management("POST", "/v1/load_lora_adapter",
                "{\"lora_name\": \"v1\", \"lora_path\": \"pool/b1\"}");
        assertEquals(200, loaded.status(), loaded.body());
        assertEquals("Success: LoRA adapter 'v1' added successfully.", loaded.body());
        TestServer.Reply again = server.management("POST", "/v1/load_lora_adapter",
                "{\"lora_name\": \"v1\", \"lora_path\": \"pool/b1\"}");
        assertEquals(400, again.status());
        assertEquals("The lora adapter 'v1' has already been loaded.", again.json().get("message").asText());
        assertEquals(400, server.management("POST", "/v1/load_lora_adapter", "{\"lora_name\": \"v2\"}").status());
        assertEquals(400, server.management("POST", "/v1/load_lora_adapter",
                "{\"lora_name\": \"v2\", \"lora_path\": \"pool/wide\"}").status());
        TestServer.Reply unloaded = server.management("POST", "/v1/unload_lora_adapter", "{\"lora_name\": \"v1\"}");
        assertEquals("Success: LoRA adapter 'v1' removed successfully.", unloaded.body());
        TestServer.Reply missing = server.management("POST", "/v1/unload_lora_adapter", "{\"lora_name\": \"v1\"}");
        assertEquals(404, missing.status());
        assertEquals("NotFoundError", missing.json().get("type").asText());
        assertEquals("The lora adapter 'v1' cannot be found.", missing.json().get("message").asText());
    }

    @Test
    void managementIsOnItsOwnAddressOnly() throws Exception {
        assertEquals(404, server.inference("GET", "/adapters", null).status());
        assertEquals(404, server.inference("POST", "/v1/load_lora_adapter", "{}").status());
        assertEquals(200, server.management("GET", "/ping", null).status());
        assertTrue(server.server.managementAddress().startsWith("127.0.0.1:"));
    }

    @Test
    void bearerTokenProtectsManagement(@TempDir Path otherCache) throws Exception {
        Files.createDirectories(root.resolve("empty"));
        try (TestServer guarded = new TestServer(root.resolve("empty"), otherCache, RegistryOptions.DEFAULTS,
                BatchSettings.DEFAULTS, new ServerOptions("127.0.0.1", 0, "127.0.0.1", 0, "s3cret"))) {
            assertError(guarded.management("GET", "/adapters", null), 401, "UnauthorizedException",
                    "A valid bearer token is required for the management API");
            assertEquals(401, guarded.management("GET", "/adapters", null, "Authorization", "Bearer wrong").status());
            assertEquals(200, guarded.management("GET", "/adapters", null, "Authorization", "Bearer s3cret").status());
            assertEquals(200, guarded.inference("GET", "/ping", null).status());
        }
    }
}
