package io.github.djladapters.runtime;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * Parameter counts of a model with its adapters, as PEFT's {@code print_trainable_parameters}
 * reports them.
 *
 * @param trainable elements of parameters that receive gradients
 * @param all elements of every parameter, base and adapters
 * @param percent {@code 100 * trainable / all}
 */
public record TrainableParameters(long trainable, long all, double percent) {

    /**
     * Counts from the two totals.
     *
     * @param trainable trainable elements
     * @param all all elements
     * @return the counts with their percentage
     */
    public static TrainableParameters of(long trainable, long all) {
        return new TrainableParameters(trainable, all, all == 0 ? 0 : 100.0 * trainable / all);
    }

    /**
     * PEFT's line, digit for digit: thousands separated by commas, the percentage with four
     * decimals rounded as Python does (half-even on the exact binary value).
     *
     * @return for example {@code trainable params: 73,728 || all params: 22,639,104 || trainable%: 0.3257}
     */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %s",
                trainable, all, pythonFixed(percent, 4));
    }

    /**
     * Python's {@code format(value, ".Nf")}.
     *
     * @param value the value
     * @param decimals digits after the point
     * @return the formatted number
     */
    static String pythonFixed(double value, int decimals) {
        return new BigDecimal(value).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
    }
}
