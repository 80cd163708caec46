package io.github.djladapters.finetune;

/**
 * How long and how fast to train.
 *
 * @param epochs passes over the training data
 * @param batchSize examples per optimizer step
 * @param learningRate Adam's step size, for the adapter and the head alike
 * @param seed seeds the shuffling, the head's initial weights and dropout
 * @param maxSteps stop after this many steps in all, or 0 for no limit
 */
public record TrainingSettings(int epochs, int batchSize, float learningRate, long seed, int maxSteps) {

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
