package io.github.djladapters.finetune;

/** Receives training events, for a progress bar or a log. */
public interface TrainingProgress {

    /**
     * Training starts (or resumes).
     *
     * @param firstStep the step about to run, 1 for a fresh start
     * @param totalSteps the steps of the whole run
     */
    void started(int firstStep, int totalSteps);

    /**
     * One optimizer step finished.
     *
     * @param step the step number, from 1
     * @param loss the batch's mean cross-entropy
     */
    void stepped(int step, float loss);

    /**
     * One epoch finished; a checkpoint can be written now.
     *
     * @param epoch the epoch number, from 1
     * @param history the losses so far
     * @throws java.io.IOException when writing a checkpoint fails
     */
    default void epochFinished(int epoch, TrainingHistory history) throws java.io.IOException {}

    /** Training finished. */
    void finished();

    /** Ignores every event. */
    TrainingProgress SILENT = new TrainingProgress() {
        @Override
        public void started(int firstStep, int totalSteps) {}

        @Override
        public void stepped(int step, float loss) {}

        @Override
        public void finished() {}
    };
}
