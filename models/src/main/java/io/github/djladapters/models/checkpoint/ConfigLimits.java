package io.github.djladapters.models.checkpoint;

/**
 * Range checks for {@code config.json} values, run before any array is allocated, so a wrong or
 * hostile config fails with the key, the value and the allowed range instead of reaching the
 * engine's allocator (or dividing by zero). The bounds are far above any released model of the
 * supported families.
 *
 * <pre>{@code
 * ConfigLimits.check("num_hidden_layers", numHiddenLayers, 1, ConfigLimits.MAX_LAYERS);
 * }</pre>
 */
public final class ConfigLimits {

    /** The most layers of one stack. */
    public static final long MAX_LAYERS = 1024;
    /** The widest hidden state. */
    public static final long MAX_WIDTH = 1 << 16;
    /** The widest feed-forward block. */
    public static final long MAX_FEED_FORWARD = 1 << 18;
    /** The largest vocabulary. */
    public static final long MAX_VOCAB = 1 << 24;
    /** The most positions. */
    public static final long MAX_POSITIONS = 1 << 20;

    private ConfigLimits() {}

    /**
     * Checks that an integer value lies in {@code [min, max]}.
     *
     * @param key the config.json key, for the message
     * @param value the value read
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @throws IllegalArgumentException naming the key, the value and the range otherwise
     */
    public static void check(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " is " + value + "; expected an integer from " + min + " to " + max);
        }
    }

    /**
     * Checks that a real value is finite and lies in {@code [min, max]}.
     *
     * @param key the config.json key
     * @param value the value read
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @throws IllegalArgumentException naming the key, the value and the range otherwise
     */
    public static void check(String key, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new IllegalArgumentException(key + " is " + value + "; expected a number from " + min + " to " + max);
        }
    }

    /**
     * Checks that {@code value} is a multiple of {@code of}.
     *
     * @param key the key of the value
     * @param value the value
     * @param ofKey the key of the divisor
     * @param of the divisor, positive
     * @throws IllegalArgumentException when it is not
     */
    public static void multiple(String key, long value, String ofKey, long of) {
        if (value % of != 0) {
            throw new IllegalArgumentException(key + " " + value + " is not a multiple of " + ofKey + " " + of);
        }
    }
}
