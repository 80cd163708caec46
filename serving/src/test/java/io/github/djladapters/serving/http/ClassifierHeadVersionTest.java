package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.djladapters.finetune.ClassifierHead;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.serving.model.Workflow;
import io.github.djladapters.serving.registry.TinyBert;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A saved classifier's head is part of its adapter version: read with the weights, replaced only by
 * an update, never paired with weights of another load; workflows answer its rows with labels, as
 * the inference API does.
 */
class ClassifierHeadVersionTest {

    private static final String TEXTS = "{\"inputs\": [\"great value\", \"it broke after a week\"]}";

    @TempDir
    Path root;

    @TempDir
    Path cache;

    @TempDir
    Path scratch;

    private static void writeClassifier(Path dir, long seed, List<String> labels) throws IOException {
        TinyBert.writeLora(dir, seed, 16);
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassifierHead.create(labels, 16, manager).save(dir.resolve(SavedClassifier.HEAD_FILE));
        }
    }

    /** Replaces a folder's files by those of another, file by file. */
    private static void replaceFiles(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static JsonNode classify(TestServer server, String adapter) throws Exception {
        TestServer.Reply reply = server.inference("POST", "/invocations?adapter=" + adapter, TEXTS);
        assertEquals(200, reply.status(), reply.body());
        return reply.json();
    }

    @Test
    void aChangedHeadFileWaitsForTheUpdateAndComesWithItsWeights() throws Exception {
        writeClassifier(root.resolve("c"), 5, List.of("negative", "positive"));
        Path next = scratch.resolve("c-next");
        writeClassifier(next, 6, List.of("food", "film", "shopping"));
        try (TestServer server = new TestServer(root, cache)) {
            JsonNode before = classify(server, "c");
            assertEquals(2, before.get(0).size(), before.toString());

            replaceFiles(next, root.resolve("c")); // new weights and a new head on disk, not yet updated
            assertEquals(before, classify(server, "c"), "the registered version keeps its head and weights");

            TestServer.Reply updated = server.management("POST", "/adapters/c/update", null);
            assertEquals(200, updated.status(), updated.body());
            JsonNode after = classify(server, "c");
            assertEquals(3, after.get(0).size(), after.toString());
            // the reference: the same folder loaded once more under another name
            Files.createDirectories(root.resolve("c-copy"));
            replaceFiles(next, root.resolve("c-copy"));
            TestServer.Reply registered = server.management("POST", "/adapters?name=c2&src=c-copy", null);
            assertEquals(200, registered.status(), registered.body());
            assertEquals(classify(server, "c2"), after, "after the update: the new head with the new weights");
            assertNotEquals(before, after);
        }
    }

    @Test
    void aWorkflowAnswersAClassifiersRowsWithLabels() throws Exception {
        writeClassifier(root.resolve("c"), 5, List.of("negative", "positive"));
        try (TestServer server = new TestServer(root, cache)) {
            Path file = scratch.resolve("wf.json");
            Files.writeString(file, """
                    {"name": "wf1", "version": "0.1", "models": {"m": "tiny-bert"},
                     "configs": {"adapters": {"w1": {"model": "m", "src": "c"}}},
                     "workflow": {"out": ["adapter", "w1", "in"]}}""");
            server.model.addWorkflow(Workflow.read(file, server.model));
            TestServer.Reply viaWorkflow = server.inference("POST", "/predictions/wf1", TEXTS);
            assertEquals(200, viaWorkflow.status(), viaWorkflow.body());
            JsonNode direct = classify(server, "w1");
            assertEquals(direct, viaWorkflow.json());
            assertEquals("negative,positive", Stream.of(direct.get(0).get(0), direct.get(0).get(1))
                    .map(n -> n.get("label").asText()).sorted().reduce((a, b) -> a + "," + b).orElseThrow(),
                    "labels, not an embedding");
            String one = "{\"inputs\": \"great value\"}";
            TestServer.Reply single = server.inference("POST", "/predictions/wf1", one);
            TestServer.Reply directSingle = server.inference("POST", "/invocations?adapter=w1", one);
            assertEquals(200, directSingle.status(), directSingle.body());
            assertEquals(directSingle.json(), single.json(), "one input: one answer, not a list");
        }
    }
}
