package io.github.djladapters.finetune;

/**
 * How long and how fast to train.
 *
 * @param epochs passes over the training data
 * @param batchSize examples per optimizer step
 * @param learningRate Adam's step size, for the adapter and the head alike
 * @param seed seeds the shuffling, the head's initial weights and dropout
 * @param maxSteps stop after this many steps in all, or 0 for no limit
 * @param rowGroups whether a step runs as row groups when libtorch has more than one intra-op thread on the
 *     CPU: the batch is cut into one group of rows per intra-op thread, each group's forward and backward
 *     pass runs on its own thread at one intra-op thread, and the gradients add up to the batch's
 *     ({@code RowSplitStep}); the loss and gradients equal the one-pass step's to rounding, dropout masks
 *     included. Default {@code true}; off, or on one thread or a GPU, each step is one pass over the batch
 */
public record TrainingSettings(int epochs, int batchSize, float learningRate, long seed, int maxSteps,
        boolean rowGroups) {

    /** Checks the values. */
    public TrainingSettings {
        if (epochs < 1 || batchSize < 1 || maxSteps < 0) {
            throw new IllegalArgumentException("epochs and batch size must be at least 1 and max steps at least 0");
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("the learning rate must be positive, got " + learningRate);
        }
    }

    /**
     * Settings with steps as row groups where they help ({@link #rowGroups()} on).
     *
     * @param epochs passes over the training data
     * @param batchSize examples per optimizer step
     * @param learningRate Adam's step size
     * @param seed seeds the shuffling, the head's initial weights and dropout
     * @param maxSteps stop after this many steps in all, or 0 for no limit
     */
    public TrainingSettings(int epochs, int batchSize, float learningRate, long seed, int maxSteps) {
        this(epochs, batchSize, learningRate, seed, maxSteps, true);
    }

    /**
     * These settings with steps as row groups on or off.
     *
     * @param on whether steps run as row groups where libtorch has more than one intra-op thread on the CPU
     * @return the settings
     */
    public TrainingSettings withRowGroups(boolean on) {
        return new TrainingSettings(epochs, batchSize, learningRate, seed, maxSteps, on);
    }

    /**
     * The steps one epoch takes.
     *
     * @param examples the training set size
     * @return ceil(examples / batch size)
     */
    public int stepsPerEpoch(int examples) {
        return (examples + batchSize - 1) / batchSize;
    }

    /**
     * The steps the whole run takes, {@link #maxSteps} applied.
     *
     * @param examples the training set size
     * @return the total step count
     */
    public int totalSteps(int examples) {
        int all = epochs * stepsPerEpoch(examples);
        return maxSteps > 0 ? Math.min(maxSteps, all) : all;
    }
}
