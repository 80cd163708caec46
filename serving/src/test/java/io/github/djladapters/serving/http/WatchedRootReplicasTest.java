package io.github.djladapters.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.serving.registry.AdapterRootWatcher;
import io.github.djladapters.serving.registry.TinyBert;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchedRootReplicasTest {

    @TempDir
    Path shared;

    @TempDir
    Path staging;

    @TempDir
    Path cache;

    private static boolean lists(TestServer replica, String adapter) throws Exception {
        return replica.inference("GET", "/v1/models", null).json().findValuesAsText("id").contains(adapter);
    }

    private static long millisUntil(List<TestServer> replicas, String adapter, boolean present) throws Exception {
        long start = System.nanoTime();
        while (true) {
            boolean all = true;
            for (TestServer replica : replicas) {
                all &= lists(replica, adapter) == present;
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (all || millis > 5_000) {
                return millis;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void anAdapterWrittenToTheSharedFolderIsServedByBothReplicasWithinTwoSeconds() throws Exception {
        TinyBert.writeLora(shared.resolve("first"), 1, 16);
        try (TestServer one = new TestServer(shared, cache);
                TestServer two = new TestServer(shared, cache);
                AdapterRootWatcher watchOne = new AdapterRootWatcher(one.model.registry(), 200);
                AdapterRootWatcher watchTwo = new AdapterRootWatcher(two.model.registry(), 200)) {
            List<TestServer> replicas = List.of(one, two);
            assertTrue(lists(one, "first") && lists(two, "first"), "scanned at start-up");

            TinyBert.writeLora(staging.resolve("fresh"), 2, 16);
            Files.move(staging.resolve("fresh"), shared.resolve("fresh"), StandardCopyOption.ATOMIC_MOVE);
            long appeared = millisUntil(replicas, "fresh", true);
            assertTrue(appeared < 2_000, "served by both after " + appeared + " ms");
            for (TestServer replica : replicas) {
                TestServer.Reply reply = replica.inference("POST", "/v1/embeddings", "{\"model\": \"fresh\", \"input\": \"hi\"}");
                assertEquals(200, reply.status(), reply.body());
            }

            try (Stream<Path> files = Files.walk(shared.resolve("fresh"))) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
            long removed = millisUntil(replicas, "fresh", false);
            assertTrue(removed < 2_000, "removed from both after " + removed + " ms");
            assertTrue(lists(one, "first") && lists(two, "first"));
        }
    }
}
