package io.github.djladapters.runtime.methods.lora;

import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.MethodArguments;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code train --method lora} and {@code --method dora}: rank, alpha, dropout and target modules. */
final class LoRACommandLine implements MethodCommandLine {

    /** The largest rank accepted from the command line: larger ones would only reach the allocator. */
    static final int MAX_RANK = 1 << 16;

    @Override
    public Map<String, String> methods() {
        Map<String, String> methods = new LinkedHashMap<>();
        methods.put("lora", "Low-rank update of the targeted weights.");
        methods.put("dora", "LoRA with a learned magnitude per output (weight-decomposed).");
        return methods;
    }

    @Override
    public Map<String, String> options() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put(MethodArguments.RANK, "rank r (default 8)");
        options.put(MethodArguments.ALPHA, "lora_alpha; the update is scaled by alpha / r (default 16)");
        options.put(MethodArguments.DROPOUT, "lora_dropout (default 0.1)");
        options.put(MethodArguments.TARGET_MODULES, "module names to adapt (default query,value)");
        return options;
    }

    @Override
    public AdapterConfig config(String method, MethodArguments arguments) {
        arguments.requireOnly(method, options().keySet());
        int rank = arguments.integer(MethodArguments.RANK, 8);
        if (rank < 1 || rank > MAX_RANK) {
            throw new IllegalArgumentException("--rank must be from 1 to " + MAX_RANK + ", got " + rank);
        }
        double dropout = arguments.decimal(MethodArguments.DROPOUT, 0.1);
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--dropout must be in [0, 1), got " + dropout);
        }
        return LoRAConfig.builder().r(rank)
                .loraAlpha(arguments.integer(MethodArguments.ALPHA, 16))
                .loraDropout(dropout)
                .targetModules(arguments.list(MethodArguments.TARGET_MODULES, List.of("query", "value"))
                        .toArray(String[]::new))
                .useDora(method.equals("dora")).build();
    }
}
