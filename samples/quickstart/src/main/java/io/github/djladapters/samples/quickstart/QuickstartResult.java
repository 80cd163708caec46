package io.github.djladapters.samples.quickstart;

import io.github.djladapters.finetune.TrainingHistory;
import java.nio.file.Path;

/**
 * The figures of one quick-start run.
 *
 * @param accuracyBefore held-out accuracy with the untrained head, in [0, 1]
 * @param accuracyAfter held-out accuracy after training, in [0, 1]
 * @param history the loss of every training step
 * @param adapterDir where the adapter, head and report were written
 * @param reloadDifference the largest absolute logit difference between the trained classifier and
 *     the one reloaded from disk
 */
public record QuickstartResult(double accuracyBefore, double accuracyAfter, TrainingHistory history, Path adapterDir,
        double reloadDifference) {}
