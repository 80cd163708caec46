package io.github.djladapters.cli;

import io.github.djladapters.runtime.files.AdapterConfigFile;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.MethodRegistry;
import io.github.djladapters.runtime.methods.MethodArguments;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine.Option;

/**
 * The adapter method of {@code train} and its config, as flags or as a JSON config file. Every
 * registered method with a command-line side answers its own {@code --method} values and reads the
 * flags it knows (see {@code MethodCommandLine}).
 */
final class MethodOptions {

    @Option(names = "--method", paramLabel = "METHOD", defaultValue = "lora",
            description = "The adapter method: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
            completionCandidates = MethodNames.class)
    String method;

    @Option(names = "--config", paramLabel = "FILE",
            description = "An adapter_config.json (PEFT's layout, or the Adapters library's); replaces the "
                    + "method flags.")
    Path config;

    @Option(names = {"-r", "--rank"}, paramLabel = "R", description = "LoRA rank r (default 8).")
    String rank;

    @Option(names = "--alpha", paramLabel = "A",
            description = "LoRA lora_alpha; the update is scaled by alpha / r (default 16).")
    String alpha;

    @Option(names = "--dropout", paramLabel = "P", description = "Dropout of the method (LoRA default 0.1).")
    String dropout;

    @Option(names = "--target-modules", paramLabel = "NAMES",
            description = "Module names to adapt (suffix match), comma-separated. Default: query,value for "
                    + "LoRA/DoRA; key,value,output.dense for IA3.")
    String targetModules;

    @Option(names = "--method-option", paramLabel = "KEY=VALUE",
            description = "A setting of the method under its config name, such as reduction_factor=16 for "
                    + "bottleneck adapters; repeatable.")
    Map<String, String> methodOptions = new LinkedHashMap<>();

    /** The {@code --method} values of every registered method, for {@code --help}. */
    static final class MethodNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            TreeSet<String> names = new TreeSet<>();
            MethodRegistry.all().forEach(m -> m.commandLine().ifPresent(c -> names.addAll(c.methods().keySet())));
            return names.iterator();
        }
    }

    /**
     * The method the flags name.
     *
     * @return its command-line side
     * @throws IllegalArgumentException for an unknown {@code --method}
     */
    MethodCommandLine commandLine() {
        return MethodRegistry.forCommandLine(method).orElseThrow(() -> new IllegalArgumentException(
                "--method '" + method + "' is not a known method; expected one of "
                        + List.copyOf(new TreeSet<String>(toSet(new MethodNames())))));
    }

    private static TreeSet<String> toSet(Iterable<String> names) {
        TreeSet<String> set = new TreeSet<>();
        names.forEach(set::add);
        return set;
    }

    AdapterConfig adapterConfig() throws IOException {
        if (config != null) {
            return AdapterConfigFile.read(config).config();
        }
        Map<String, String> values = new LinkedHashMap<>();
        put(values, MethodArguments.RANK, rank);
        put(values, MethodArguments.ALPHA, alpha);
        put(values, MethodArguments.DROPOUT, dropout);
        put(values, MethodArguments.TARGET_MODULES, targetModules);
        values.putAll(methodOptions);
        return commandLine().config(method, new MethodArguments(values));
    }

    private static void put(Map<String, String> values, String key, String value) {
        if (value != null) {
            values.put(key, value);
        }
    }
}
