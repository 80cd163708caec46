package io.github.djladapters.finetune;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What a training run did so far: the completed epochs and the loss of every step, in order.
 * Written as {@code trainer_state.json} in a checkpoint so that training can resume.
 *
 * @param epochs completed epochs
 * @param losses the loss of each step
 */
public record TrainingHistory(@JsonProperty("epochs") int epochs, @JsonProperty("losses") List<Float> losses) {

    /** Copies the losses. */
    public TrainingHistory {
        losses = List.copyOf(losses);
    }

    /**
     * Nothing trained yet.
     *
     * @return an empty history
     */
    public static TrainingHistory empty() {
        return new TrainingHistory(0, List.of());
    }

    /**
     * The mean loss of the last {@code n} steps.
     *
     * @param n how many steps
     * @return their mean, or NaN when there are none
     */
    public double recentLoss(int n) {
        return losses.subList(Math.max(0, losses.size() - n), losses.size()).stream()
                .mapToDouble(Float::doubleValue).average().orElse(Double.NaN);
    }
}
