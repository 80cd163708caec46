package io.github.djladapters.models.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The round protocol between {@code bench/peers/interleave.py} and one measuring process. The process
 * loads and warms up its case, prints one {@code {"event":"ready",...}} line, then waits on stdin: each
 * line {@code round} (or {@code round N}) runs the case once (N times back to back) and answers
 * {@code {"event":"round","round":i,"runs":N,"ms":..,"tokens_per_s":..,"cpu_ms":..,"busy_threads":..}} (the
 * wall time measured inside this process and the CPU time the whole process used meanwhile, both per run,
 * the mean over the N runs, and how many of its threads did a substantial share of the work: at least a
 * quarter of the busiest one's CPU time, from /proc/self/task); {@code quit} or the end of stdin ends it. The driver alternates the processes of both sides round by round, so that slow drift of the
 * machine hits both alike. {@code bench/peers/peer_cases.py} speaks the same protocol.
 */
final class PeerRounds {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Runnable round;
    private final int tokens;
    private final LongSupplier nanoClock;
    private final LongSupplier cpuNanoClock;
    private final Supplier<Map<String, Long>> threadTicks;

    /**
     * @param round one run of the case: a forward, a whole training step or one generation
     * @param tokens tokens one run produces, for tokens/s (0 when it produces none)
     * @param nanoClock the clock, in nanoseconds ({@code System::nanoTime})
     * @param cpuNanoClock CPU time of the whole process, in nanoseconds
     * @param threadTicks CPU time per thread of this process, by thread id ({@link #threadTicks()})
     */
    PeerRounds(Runnable round, int tokens, LongSupplier nanoClock, LongSupplier cpuNanoClock,
            Supplier<Map<String, Long>> threadTicks) {
        this.round = round;
        this.tokens = tokens;
        this.nanoClock = nanoClock;
        this.cpuNanoClock = cpuNanoClock;
        this.threadTicks = threadTicks;
    }

    /** Runs the case {@code count} times unmeasured. */
    void warmUp(int count) {
        for (int i = 0; i < count; i++) {
            round.run();
        }
    }

    /**
     * Answers commands until {@code quit} or the end of the input.
     *
     * @return how many rounds ran
     * @throws IllegalArgumentException on a line that is neither {@code round}, {@code round N} (N at least 1)
     *     nor {@code quit}
     * @throws IOException when the commands cannot be read
     */
    int serve(BufferedReader commands, PrintStream out) throws IOException {
        int rounds = 0;
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            String command = line.strip();
            if (command.equals("quit")) {
                break;
            }
            int runs = runsOf(command);
            Map<String, Long> ticksBefore = threadTicks.get();
            long cpuStart = cpuNanoClock.getAsLong();
            long start = nanoClock.getAsLong();
            for (int run = 0; run < runs; run++) {
                round.run();
            }
            double millis = (nanoClock.getAsLong() - start) / 1e6 / runs;
            double cpuMillis = (cpuNanoClock.getAsLong() - cpuStart) / 1e6 / runs;
            int busy = busyThreads(ticksBefore, threadTicks.get());
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("event", "round");
            answer.put("round", rounds++);
            answer.put("runs", runs);
            answer.put("ms", millis);
            answer.put("tokens_per_s", tokens > 0 ? tokens / (millis / 1000) : 0.0);
            answer.put("cpu_ms", cpuMillis);
            answer.put("busy_threads", busy);
            print(out, answer);
        }
        return rounds;
    }

    /** The runs a {@code round} or {@code round N} command asks for. */
    static int runsOf(String command) {
        String[] words = command.split("\\s+");
        if (!words[0].equals("round") || words.length > 2) {
            throw new IllegalArgumentException("unknown command '" + command + "' on stdin: expected round, round N or quit");
        }
        if (words.length == 1) {
            return 1;
        }
        try {
            int runs = Integer.parseInt(words[1]);
            if (runs >= 1) {
                return runs;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("bad run count in '" + command + "' on stdin: expected a whole number of at least 1");
    }

    /**
     * How many threads did a substantial share of a round's work: those whose CPU time grew by at least a
     * quarter of the busiest thread's growth (threads that started during the round count from zero).
     */
    static int busyThreads(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> grown = new LinkedHashMap<>();
        after.forEach((thread, ticks) -> grown.put(thread, ticks - before.getOrDefault(thread, 0L)));
        long most = grown.values().stream().mapToLong(Long::longValue).max().orElse(0);
        return most <= 0 ? 0 : (int) grown.values().stream().filter(ticks -> 4 * ticks >= most).count();
    }

    /**
     * CPU time (user + system, in clock ticks) of every thread of this process, by thread id, from
     * /proc/self/task/<id>/stat; empty where /proc is not there. Native threads (libtorch's OpenMP pool)
     * count as well as Java's.
     */
    static Map<String, Long> threadTicks() {
        Map<String, Long> ticks = new LinkedHashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    // fields after the parenthesised name: state is the first, utime and stime the 12th and 13th
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.put(task.getFileName().toString(), Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return ticks;
    }

    /** Prints one JSON line and flushes it, so that the driver waiting on it sees it at once. */
    static void print(PrintStream out, Map<String, ?> line) {
        try {
            out.println(JSON.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + line + " as JSON", e);
        }
        out.flush();
    }
}
