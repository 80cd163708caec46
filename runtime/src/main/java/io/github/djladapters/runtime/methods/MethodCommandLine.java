package io.github.djladapters.runtime.methods;

import java.util.Map;

/**
 * A method's side of {@code djl-adapters train}: the {@code --method} values it answers and how the
 * command's flags become a config. The command passes the shared flags under the keys
 * {@link MethodArguments#RANK}, {@link MethodArguments#ALPHA}, {@link MethodArguments#DROPOUT} and
 * {@link MethodArguments#TARGET_MODULES} when the user gave them, and every
 * {@code --method-option KEY=VALUE} under its own key.
 */
public interface MethodCommandLine {

    /**
     * The {@code --method} values this method answers, with a one-line description each.
     *
     * @return value to description, for example {@code lora -> "Low-rank update ..."}
     */
    Map<String, String> methods();

    /**
     * The keys this method reads, with a one-line description each (for {@code --help}).
     *
     * @return key to description
     */
    Map<String, String> options();

    /**
     * Builds the config.
     *
     * @param method one of {@link #methods()}
     * @param arguments the flags given
     * @return the config
     * @throws IllegalArgumentException naming the flag for a bad or unknown value
     */
    AdapterConfig config(String method, MethodArguments arguments);
}
