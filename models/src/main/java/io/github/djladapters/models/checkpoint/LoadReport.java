package io.github.djladapters.models.checkpoint;

import java.util.List;

/**
 * What a successful {@link CheckpointLoader#load} did.
 *
 * @param loaded model parameter names that received values
 * @param missing model parameter names the checkpoint lacks and the loader was told to allow
 *     (they keep their previous values)
 * @param unexpected checkpoint keys that match no parameter (left unread)
 */
public record LoadReport(List<String> loaded, List<String> missing, List<String> unexpected) {

    /** Copies the lists. */
    public LoadReport {
        loaded = List.copyOf(loaded);
        missing = List.copyOf(missing);
        unexpected = List.copyOf(unexpected);
    }
}
