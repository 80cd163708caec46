package io.github.djladapters.models.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The round protocol between {@code bench/peers/interleave.py} and one measuring process. The process
 * loads and warms up its case, prints one {@code {"event":"ready",...}} line, then waits on stdin: each
 * line {@code round} runs the case once and answers {@code {"event":"round","round":i,"ms":..,
 * "tokens_per_s":..}} (the time measured inside this process); {@code quit} or the end of stdin ends
 * it. The driver alternates the processes of both sides round by round, so that slow drift of the
 * machine hits both alike. {@code bench/peers/peer_cases.py} speaks the same protocol.
 */
final class PeerRounds {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Runnable round;
    private final int tokens;
    private final LongSupplier nanoClock;

    /**
     * @param round one run of the case: a forward, a whole training step or one generation
     * @param tokens tokens one run produces, for tokens/s (0 when it produces none)
     * @param nanoClock the clock, in nanoseconds ({@code System::nanoTime})
     */
    PeerRounds(Runnable round, int tokens, LongSupplier nanoClock) {
        this.round = round;
        this.tokens = tokens;
        this.nanoClock = nanoClock;
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
     * @throws IllegalArgumentException on a line that is neither {@code round} nor {@code quit}
     * @throws IOException when the commands cannot be read
     */
    int serve(BufferedReader commands, PrintStream out) throws IOException {
        int rounds = 0;
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            String command = line.strip();
            if (command.equals("quit")) {
                break;
            }
            if (!command.equals("round")) {
                throw new IllegalArgumentException("unknown command '" + command + "' on stdin: expected round or quit");
            }
            long start = nanoClock.getAsLong();
            round.run();
            double millis = (nanoClock.getAsLong() - start) / 1e6;
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("event", "round");
            answer.put("round", rounds++);
            answer.put("ms", millis);
            answer.put("tokens_per_s", tokens > 0 ? tokens / (millis / 1000) : 0.0);
            print(out, answer);
        }
        return rounds;
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
