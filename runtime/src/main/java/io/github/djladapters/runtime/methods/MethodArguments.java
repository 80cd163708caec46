package io.github.djladapters.runtime.methods;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The flags of {@code djl-adapters train} as text, for a {@link MethodCommandLine}: typed reads with
 * defaults, and a check that no flag was given that the method does not read.
 */
public final class MethodArguments {

    /** {@code --rank}. */
    public static final String RANK = "rank";
    /** {@code --alpha}. */
    public static final String ALPHA = "alpha";
    /** {@code --dropout}. */
    public static final String DROPOUT = "dropout";
    /** {@code --target-modules}, comma-separated. */
    public static final String TARGET_MODULES = "target-modules";

    private final Map<String, String> values;

    /**
     * Wraps the given flags.
     *
     * @param values key to text; keys absent when the flag was not given
     */
    public MethodArguments(Map<String, String> values) {
        this.values = new LinkedHashMap<>(values);
    }

    /**
     * The text of a flag.
     *
     * @param key the key
     * @return the text, or null when not given
     */
    public String text(String key) {
        return values.get(key);
    }

    /**
     * A whole number.
     *
     * @param key the key
     * @param fallback the value when not given
     * @return the value
     * @throws IllegalArgumentException naming the flag when the text is not a whole number
     */
    public int integer(String key, int fallback) {
        String text = values.get(key);
        try {
            return text == null ? fallback : Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + text + "'", e);
        }
    }

    /**
     * A number.
     *
     * @param key the key
     * @param fallback the value when not given
     * @return the value
     * @throws IllegalArgumentException naming the flag when the text is not a number
     */
    public double decimal(String key, double fallback) {
        String text = values.get(key);
        try {
            return text == null ? fallback : Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + text + "'", e);
        }
    }

    /**
     * A comma-separated list.
     *
     * @param key the key
     * @param fallback the value when not given
     * @return the items, trimmed
     */
    public List<String> list(String key, List<String> fallback) {
        String text = values.get(key);
        return text == null ? fallback : Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toList();
    }

    /**
     * Refuses flags the method does not read.
     *
     * @param method the {@code --method} value, for the message
     * @param known the keys the method reads
     * @throws IllegalArgumentException naming the unread flags and the known ones
     */
    public void requireOnly(String method, Set<String> known) {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--method " + method + " does not read " + unknown + "; it reads "
                    + new TreeSet<>(known));
        }
    }
}
