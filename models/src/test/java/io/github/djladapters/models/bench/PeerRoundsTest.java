package io.github.djladapters.models.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PeerRoundsTest {

    /** A fake clock that a round advances by a known number of milliseconds: 2 ms, 4 ms, 6 ms, ... */
    private final AtomicLong nanos = new AtomicLong();
    private final AtomicInteger runs = new AtomicInteger();
    private final AtomicLong cpuNanos = new AtomicLong();
    /** Two threads busy: twice the wall time in CPU time. */
    private final Runnable round = () -> {
        long millis = 2L * runs.incrementAndGet();
        nanos.addAndGet(millis * 1_000_000L);
        cpuNanos.addAndGet(2 * millis * 1_000_000L);
    };

    @Test
    void eachRoundLineRunsOnceAndAnswersItsOwnTimeAndTokensPerSecond() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PeerRounds rounds = new PeerRounds(round, 64, nanos::get, cpuNanos::get, this::ticks);
        int served = rounds.serve(commands("round\n round \nround\nquit\nround\n"), print(out));

        assertEquals(3, served);
        assertEquals(3, runs.get());
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3, lines.length);
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < 3; i++) {
            JsonNode answer = json.readTree(lines[i]);
            double millis = 2.0 * (i + 1);
            assertEquals("round", answer.get("event").asText());
            assertEquals(i, answer.get("round").asInt());
            assertEquals(millis, answer.get("ms").asDouble(), 1e-9);
            assertEquals(64 / (millis / 1000), answer.get("tokens_per_s").asDouble(), 1e-6);
            assertEquals(2 * millis, answer.get("cpu_ms").asDouble(), 1e-9);
            assertEquals(i == 0 ? 1 : 2, answer.get("busy_threads").asInt());
        }
    }

    @Test
    void endOfInputEndsLikeQuitAndWarmUpIsNotAnswered() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PeerRounds rounds = new PeerRounds(round, 0, nanos::get, cpuNanos::get, this::ticks);
        rounds.warmUp(2);
        int served = rounds.serve(commands("round\n"), print(out));

        assertEquals(1, served);
        assertEquals(3, runs.get());
        JsonNode answer = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(6.0, answer.get("ms").asDouble(), 1e-9); // the third run, the first measured
        assertEquals(0.0, answer.get("tokens_per_s").asDouble());
    }

    @Test
    void aRoundOfSeveralRunsAnswersTheMeanPerRun() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PeerRounds rounds = new PeerRounds(round, 64, nanos::get, cpuNanos::get, this::ticks);
        int served = rounds.serve(commands("round 3\nround  2\n"), print(out));

        assertEquals(2, served);
        assertEquals(5, runs.get());
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines[0]);
        JsonNode second = json.readTree(lines[1]);
        assertEquals(3, first.get("runs").asInt());
        assertEquals((2.0 + 4 + 6) / 3, first.get("ms").asDouble(), 1e-9); // runs of 2, 4 and 6 ms
        assertEquals(2 * (2.0 + 4 + 6) / 3, first.get("cpu_ms").asDouble(), 1e-9);
        assertEquals(64 / (4.0 / 1000), first.get("tokens_per_s").asDouble(), 1e-6);
        assertEquals(2, second.get("runs").asInt());
        assertEquals((8.0 + 10) / 2, second.get("ms").asDouble(), 1e-9);
    }

    @Test
    void aBadRunCountIsRejectedBeforeAnyRun() {
        for (String command : new String[] {"round 0", "round -2", "round two", "round 2 3"}) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> new PeerRounds(round, 0, nanos::get, cpuNanos::get, this::ticks)
                            .serve(commands(command + "\n"), print(new ByteArrayOutputStream())));
            assertTrue(error.getMessage().contains("'" + command + "'"), error.getMessage());
        }
        assertEquals(0, runs.get());
    }

    @Test
    void anUnknownCommandIsRejectedByName() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new PeerRounds(round, 0, nanos::get, cpuNanos::get, this::ticks)
                        .serve(commands("round\nrounds\n"), print(new ByteArrayOutputStream())));
        assertTrue(error.getMessage().contains("'rounds'"), error.getMessage());
        assertEquals(1, runs.get());
    }

    /** Thread 1 works every round, thread 2 a little, thread 3 as much as thread 1 from the second round. */
    private Map<String, Long> ticks() {
        long n = runs.get();
        return Map.of("1", 100 * n, "2", 10 * n, "3", 100 * Math.max(0, n - 1));
    }

    @Test
    void busyThreadsCountsThoseWithAQuarterOfTheBusiestOnesWorkOrMore() {
        Map<String, Long> before = Map.of("1", 500L, "2", 40L, "3", 7L);
        assertEquals(2, PeerRounds.busyThreads(before, Map.of("1", 600L, "2", 65L, "3", 7L)));
        assertEquals(1, PeerRounds.busyThreads(before, Map.of("1", 600L, "2", 64L, "3", 7L)));
        assertEquals(3, PeerRounds.busyThreads(before, Map.of("1", 600L, "2", 140L, "3", 7L, "4", 30L)));
        assertEquals(0, PeerRounds.busyThreads(before, before));
        assertEquals(0, PeerRounds.busyThreads(Map.of(), Map.of()));
    }

    @Test
    void threadTicksReadsThisProcessThreadsFromProc() {
        Map<String, Long> ticks = PeerRounds.threadTicks();
        assertTrue(ticks.containsKey(Long.toString(ProcessHandle.current().pid())), ticks.toString()); // the main thread
        assertTrue(ticks.values().stream().allMatch(t -> t >= 0), ticks.toString());
    }

    private static BufferedReader commands(String text) {
        return new BufferedReader(new StringReader(text));
    }

    private static PrintStream print(ByteArrayOutputStream out) {
        return new PrintStream(out, true, StandardCharsets.UTF_8);
    }
}
