package io.github.djladapters.cli;

import io.github.djladapters.runtime.files.AdapterConfigFile;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.TargetModules;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The adapter method of {@code train} and its config, as flags or as a PEFT-style JSON file. */
final class MethodOptions {

    /** The methods {@code train} can add. */
    enum Method {
        /** Low-rank update of the targeted weights. */
        LORA,
        /** LoRA with a learned magnitude per output (weight-decomposed). */
        DORA,
        /** Learned scaling vectors. */
        IA3
    }

    @Option(names = "--method", paramLabel = "METHOD", defaultValue = "lora",
            description = "lora, dora or ia3. Default: ${DEFAULT-VALUE}.")
    Method method;

    @Option(names = "--config", paramLabel = "FILE",
            description = "An adapter_config.json (PEFT field names, peft_type LORA or IA3); replaces the "
                    + "method flags.")
    Path config;

    /** The largest LoRA rank accepted from the command line. */
    static final int MAX_RANK = 1 << 16;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    int rank;

    @Option(names = {"-r", "--rank"}, paramLabel = "R", defaultValue = "8", description = "LoRA rank r. Default: ${DEFAULT-VALUE}.")
    void rank(int value) {
        if (value < 1 || value > MAX_RANK) {
            throw new ParameterException(command.commandLine(), "--rank must be from 1 to " + MAX_RANK + ", got "
                    + value);
        }
        rank = value;
    }

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "16",
            description = "LoRA lora_alpha; the update is scaled by alpha / r. Default: ${DEFAULT-VALUE}.")
    int alpha;

    double dropout;

    @Option(names = "--dropout", paramLabel = "P", defaultValue = "0.1",
            description = "LoRA lora_dropout. Default: ${DEFAULT-VALUE}.")
    void dropout(double value) {
        if (!(value >= 0 && value < 1)) {
            throw new ParameterException(command.commandLine(), "--dropout must be in [0, 1), got " + value);
        }
        dropout = value;
    }

    @Option(names = "--target-modules", paramLabel = "NAMES", split = ",",
            description = "Module names to adapt (suffix match), comma-separated. Default: query,value for "
                    + "LoRA/DoRA; key,value,output.dense for IA3.")
    List<String> targetModules;

    AdapterConfig adapterConfig() throws IOException {
        if (config != null) {
            return AdapterConfigFile.read(config).config();
        }
        if (method == Method.IA3) {
            List<String> targets = targetModules != null ? targetModules : List.of("key", "value", "output.dense");
            List<String> feedForward = targets.stream().filter(t -> t.endsWith("output.dense")).toList();
            return IA3Config.of(TargetModules.names(targets.toArray(String[]::new)),
                    TargetModules.names(feedForward.toArray(String[]::new)));
        }
        List<String> targets = targetModules != null ? targetModules : List.of("query", "value");
        return LoRAConfig.builder().r(rank).loraAlpha(alpha).loraDropout(dropout)
                .targetModules(targets.toArray(String[]::new)).useDora(method == Method.DORA).build();
    }
}
