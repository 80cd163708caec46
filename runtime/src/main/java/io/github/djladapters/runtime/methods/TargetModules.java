package io.github.djladapters.runtime.methods;

import java.util.regex.PatternSyntaxException;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * PEFT's {@code target_modules}: a list of module names, each matching a module path equal to it or
 * ending in {@code .name}, or one string that must match a whole module path as a regular
 * expression. In JSON it is the list or the string, as PEFT writes it.
 *
 * <pre>{@code
 * TargetModules.names("q_proj", "v_proj");          // layers.0.self_attn.q_proj, ...
 * TargetModules.regex(".*\\.layers\\.0\\..*_proj");   // only layer 0
 * }</pre>
 *
 * @param names module names, or null for a regex
 * @param regex a full-match regular expression, or null for names
 */
public record TargetModules(List<String> names, String regex) {

    /**
     * Checks that exactly one form is given.
     *
     * @throws IllegalArgumentException otherwise
     */
    /** How long one regex may take on one module path. */
    private static final long REGEX_BUDGET_NANOS = 200_000_000L;

    /** A module path that stops a regex match once its time is up (the matcher reads it char by char). */
    private record BoundedText(String text, long deadline) implements CharSequence {

        /** Thrown into the matcher when the time is up. */
        static final class TimeUp extends RuntimeException {
            private static final long serialVersionUID = 1L;

            TimeUp() {
                super(null, null, false, false);
            }
        }

        @Override
        public char charAt(int index) {
            if (System.nanoTime() > deadline) {
                throw new TimeUp();
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new BoundedText(text.substring(start, end), deadline);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    public TargetModules {
        if ((names == null) == (regex == null)) {
            throw new IllegalArgumentException("target_modules is either a list of names or one regex");
        }
        names = names == null ? null : List.copyOf(names);
        if (regex != null) {
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("target_modules '" + regex + "' is not a valid regular expression: "
                        + e.getDescription() + " near index " + e.getIndex(), e);
            }
        }
    }

    /**
     * Targets by module-name suffix.
     *
     * @param names module names such as {@code q_proj}
     * @return the targets
     */
    public static TargetModules names(String... names) {
        return new TargetModules(List.of(names), null);
    }

    /**
     * Targets by a regular expression over whole module paths.
     *
     * @param regex the expression
     * @return the targets
     */
    public static TargetModules regex(String regex) {
        return new TargetModules(null, regex);
    }

    /**
     * Reads PEFT's JSON form.
     *
     * @param node a string or an array of strings
     * @return the targets
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static TargetModules fromJson(JsonNode node) {
        if (node.isTextual()) {
            return regex(node.asText());
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("target_modules must be a string or a list of strings, not " + node);
        }
        List<String> names = new ArrayList<>();
        node.forEach(n -> names.add(n.asText()));
        return new TargetModules(names, null);
    }

    /**
     * PEFT's JSON form.
     *
     * @return the list or the string
     */
    @JsonValue
    public Object toJson() {
        return names != null ? names : regex;
    }

    /**
     * Whether a module path is targeted, by PEFT's rule.
     *
     * @param path a Hugging Face module path
     * @return true when the regex matches it whole, or a name equals it or its last dotted parts
     */
    public boolean matches(String path) {
        if (regex != null) {
            // target_modules comes from files: a catastrophically backtracking regex must fail, not hang
            long deadline = System.nanoTime() + REGEX_BUDGET_NANOS;
            try {
                return Pattern.compile(regex).matcher(new BoundedText(path, deadline)).matches();
            } catch (BoundedText.TimeUp e) {
                throw new IllegalArgumentException("target_modules '" + regex + "' takes more than "
                        + REGEX_BUDGET_NANOS / 1_000_000 + " ms to match module path '" + path + "'; simplify it");
            }
        }
        for (String name : names) {
            if (path.equals(name) || path.endsWith("." + name)) {
                return true;
            }
        }
        return false;
    }
}
