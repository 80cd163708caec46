package io.github.djladapters.serving.bench;

import com.sun.jna.NativeLibrary;
import io.github.djladapters.serving.http.ProcessFootprint;
import io.github.djladapters.serving.http.TinyGpt2;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;

/**
 * Where a closed model's and server's memory goes: rounds of {@link ServingLoadTest}'s mixed load
 * (all-MiniLM-L6-v2 and tiny GPT-2 servers opened, loaded and closed each round); after each round it
 * prints the resident set size as the round left it, after a full collection, and after glibc's
 * {@code malloc_trim(0)} (which hands the allocator's free pages back to the system), the committed
 * Java heap, the JVM's own native memory (Native Memory Tracking, when the JVM runs with
 * {@code -XX:NativeMemoryTracking=summary}), and the live arrays, managers and tokenizers
 * ({@link ProcessFootprint}). What {@code malloc_trim} gives back was the allocator's, kept for reuse.
 *
 * <p>{@code ./mvnw -o -q -B -pl serving -am -DskipTests test-compile exec:exec@rss-rounds
 * [-Drss.rounds=8 -Drss.seconds=8 -Dload.adapters=16 -Drss.clients=16]}; the
 * pom runs it with Native Memory Tracking on. Run it with {@code MALLOC_ARENA_MAX=2} in the environment
 * to see what glibc's per-thread arenas add.
 */
public final class ServingRssRounds {

    private ServingRssRounds() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int adapters = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int clients = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        Path work = Files.createTempDirectory("serving-rss");
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "djl-adapters");
        Path embedRoot = work.resolve("minilm-adapters");
        Path gpt2 = work.resolve("gpt2");
        TinyGpt2.writeModel(gpt2);
        ServingLoadTest.writeMiniLmAdapters(embedRoot, adapters);
        for (int i = 0; i < adapters; i++) {
            TinyGpt2.writeLora(gpt2, gpt2.resolve("adapters/g" + i), 500 + i);
        }
        System.out.println("| round | requests | RSS as left MiB | after GC MiB | after malloc_trim MiB | heap committed MiB"
                + " | JVM native (NMT) committed MiB | live arrays | live managers | live tokenizers |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (int round = 1; round <= rounds; round++) {
            ServingLoadTest.Phase phase = ServingLoadTest.run("round " + round, embedRoot, gpt2, cache, adapters, clients,
                    seconds, false);
            long left = ProcessFootprint.now().rssKib(); // the histogram collects first: "as left" is after one GC
            System.gc();
            ProcessFootprint collected = ProcessFootprint.now();
            int trimmed = mallocTrim();
            long afterTrim = ProcessFootprint.now().rssKib();
            MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            System.out.printf("| %d | %d | %d | %d | %s | %d | %s | %d | %d | %d |%n", round, phase.requests(), left / 1024,
                    collected.rssKib() / 1024, trimmed < 0 ? "n/a" : Long.toString(afterTrim / 1024),
                    heap.getCommitted() >> 20, nmtCommittedMib(), collected.live("ai.djl.pytorch.engine.PtNDArray"),
                    collected.live("ai.djl.pytorch.engine.PtNDManager"),
                    collected.live("ai.djl.huggingface.tokenizers.HuggingFaceTokenizer"));
            if (round == 1) {
                nativeMemory("baseline");
            }
        }
        String diff = nativeMemory("summary.diff", "scale=KB");
        if (diff != null) {
            System.out.println("\nThe JVM's native memory since round 1 (Native Memory Tracking):\n" + diff);
        }
    }

    /** glibc's {@code malloc_trim(0)} through JNA: 1 when memory went back, 0 when none, -1 when unavailable. */
    private static int mallocTrim() {
        try {
            return NativeLibrary.getInstance("c").getFunction("malloc_trim").invokeInt(new Object[] {0});
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /** The JVM's committed native memory from Native Memory Tracking, or "n/a" when it is off. */
    private static String nmtCommittedMib() {
        String summary = nativeMemory("summary", "scale=MB");
        for (String line : summary == null ? new String[0] : summary.split("\n")) {
            if (line.startsWith("Total:")) {
                return line.replaceAll(".*committed=([0-9]+)MB.*", "$1");
            }
        }
        return "n/a";
    }

    /** {@code jcmd <pid> VM.native_memory <arguments>} in process; null when tracking is off. */
    private static String nativeMemory(String... arguments) {
        try {
            String out = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {arguments}, new String[] {String[].class.getName()});
            return out.contains("not enabled") ? null : out;
        } catch (Exception e) {
            return null;
        }
    }
}
