package io.github.djladapters.runtime.methods.ia3;

import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.MethodArguments;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code train --method ia3}: {@code --target-modules}; those ending in {@code output.dense} scale inputs. */
final class IA3CommandLine implements MethodCommandLine {

    @Override
    public Map<String, String> methods() {
        return Map.of("ia3", "Learned scaling vectors (IA3).");
    }

    @Override
    public Map<String, String> options() {
        return Map.of(MethodArguments.TARGET_MODULES, "module names to scale (default key,value,output.dense)");
    }

    @Override
    public AdapterConfig config(String method, MethodArguments arguments) {
        arguments.requireOnly(method, Set.of(MethodArguments.TARGET_MODULES));
        List<String> targets = arguments.list(MethodArguments.TARGET_MODULES, List.of("key", "value", "output.dense"));
        List<String> feedForward = targets.stream().filter(t -> t.endsWith("output.dense")).toList();
        return IA3Config.builder().targetModules(targets.toArray(String[]::new))
                .feedforwardModules(feedForward.toArray(String[]::new)).build();
    }
}
