package io.github.djladapters.models.generation;

import java.util.ArrayList;
import java.util.List;

/**
 * The tokens generated so far for every row of a batch, and which rows have finished: a row
 * finishes with its first stop token (kept in its output) and is fed the padding token from then
 * on. Shared by {@link Generator} and {@link Seq2SeqGenerator}.
 */
final class GeneratedTokens {

    private final GenerationConfig config;
    private final List<List<Integer>> rows = new ArrayList<>();
    private final boolean[] finished;

    GeneratedTokens(int batch, GenerationConfig config) {
        this.config = config;
        finished = new boolean[batch];
        for (int b = 0; b < batch; b++) {
            rows.add(new ArrayList<>());
        }
    }

    /**
     * Records one step's picks for the rows still running.
     *
     * @param picks one token per row
     * @return the token each row feeds to the next step: its pick, or padding once finished
     */
    int[] record(int[] picks) {
        int[] fed = new int[picks.length];
        for (int b = 0; b < picks.length; b++) {
            fed[b] = finished[b] ? config.padTokenId() : picks[b];
            if (!finished[b]) {
                rows.get(b).add(fed[b]);
                finished[b] = config.stopTokens().contains(fed[b]);
            }
        }
        return fed;
    }

    /**
     * Whether every row has produced a stop token.
     *
     * @return true when generation can end
     */
    /** Which rows are still generating, before the next {@link #record}. */
    boolean[] unfinished() {
        boolean[] open = new boolean[finished.length];
        for (int b = 0; b < finished.length; b++) {
            open[b] = !finished[b];
        }
        return open;
    }

    boolean allFinished() {
        for (boolean done : finished) {
            if (!done) {
                return false;
            }
        }
        return true;
    }

    /**
     * The generated tokens of every row.
     *
     * @return per row, up to and including its stop token
     */
    List<int[]> toArrays() {
        List<int[]> out = new ArrayList<>();
        for (List<Integer> row : rows) {
            out.add(row.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
