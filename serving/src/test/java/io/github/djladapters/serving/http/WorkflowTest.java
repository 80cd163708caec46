package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.serving.model.Workflow;
import io.github.djladapters.serving.registry.TinyBert;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkflowTest {

    @TempDir
    Path root;

    @TempDir
    Path cache;

    private Path write(String name, String json) throws IOException {
        Path file = root.resolve(name + ".json");
        Files.writeString(file, json);
        return file;
    }

    @Test
    void aWorkflowAdapterIsCalledByTheWorkflowsName() throws Exception {
        TinyBert.writeLora(root.resolve("a1"), 1, 16);
        try (TestServer server = new TestServer(root, cache)) {
            Path file = write("wf", """
                    {"name": "wf1", "version": "0.1", "models": {"m": "tiny-bert"},
                     "configs": {"adapters": {"w1": {"model": "m", "src": "a1"}}},
                     "workflow": {"out": ["adapter", "w1", "in"]}}""");
            server.model.addWorkflow(Workflow.read(file, server.model));
            assertTrue(server.model.registry().contains("w1"));
            String body = Exchange.JSON.writeValueAsString(Map.of("inputs", "a sentence to embed"));
            TestServer.Reply viaWorkflow = server.inference("POST", "/predictions/wf1", body);
            TestServer.Reply direct = server.inference("POST", "/invocations?adapter=w1", body);
            assertEquals(200, viaWorkflow.status(), viaWorkflow.body());
            assertEquals(direct.body(), viaWorkflow.body());
            TestServer.Reply base = server.inference("POST", "/invocations", body);
            assertTrue(!base.body().equals(viaWorkflow.body()), "the workflow's adapter applies");
        }
    }

    @Test
    void badWorkflowsAreRefusedNamingTheField() throws Exception {
        TinyBert.writeLora(root.resolve("a1"), 1, 16);
        try (TestServer server = new TestServer(root, cache)) {
            String[][] cases = {
                {"{\"name\": \"x\", \"models\": {\"m\": \"other-model\"}, \"workflow\": {\"out\": [\"m\", \"in\"]}}",
                    "models.m is 'other-model', but this server serves 'tiny-bert'"},
                {"{\"name\": \"x\", \"models\": {\"m\": \"tiny-bert\"}, \"workflow\": {\"o\": [\"m\", \"in\"]}}",
                    "workflow has no \"out\" step"},
                {"{\"name\": \"x\", \"models\": {\"m\": \"tiny-bert\"}, \"workflow\": {\"out\": [\"adapter\", \"zz\", \"in\"]}}",
                    "adapter 'zz' is used but not in configs.adapters"},
                {"{\"name\": \"x\", \"models\": {\"m\": \"tiny-bert\"}, \"workflow\": {\"out\": [\"m\", \"a\"], \"a\": [\"m\", \"out\"]}}",
                    "workflow steps form a cycle"},
                {"{\"name\": \"x\", \"models\": {\"m\": \"tiny-bert\"}, \"configs\": {\"adapters\": {\"w\": {\"model\": \"m\","
                    + " \"src\": \"../a1\"}}}, \"workflow\": {\"out\": [\"adapter\", \"w\", \"in\"]}}",
                    "configs.adapters.w: Invalid adapter src '../a1'"},
                {"{\"models\": {}}", "\"name\" must be a non-empty string"},
            };
            for (String[] c : cases) {
                IOException e = assertThrows(IOException.class, () -> Workflow.read(write("bad", c[0]), server.model), c[0]);
                assertTrue(e.getMessage().contains(c[1]), e.getMessage());
            }
            assertEquals(0, server.model.registry().adapters().stream().filter(a -> !a.name().equals("a1")).count());
        }
    }
}
