package io.github.djladapters.runtime;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.methods.AdapterConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts the parameters of a model with its adapters and fusion layers: PEFT's trainable counts and
 * the adapters library's summary table. Parameters of attachments outside the model's block tree
 * (hooks) count too.
 */
final class ParameterCensus {

    private final Block model;
    private final AdapterInventory inventory;
    private final AdapterFusions fusions;

    ParameterCensus(Block model, AdapterInventory inventory, AdapterFusions fusions) {
        this.model = model;
        this.inventory = inventory;
        this.fusions = fusions;
    }

    /** Trainable and all elements, adapters included; see {@link AdapterModel#trainableParameters()}. */
    TrainableParameters trainableParameters() {
        Count all = Count.of(allParameters());
        return TrainableParameters.of(all.trainable, all.elements);
    }

    /**
     * One row per adapter and per fusion layer, then the full model; see
     * {@link AdapterModel#adapterSummary()}.
     *
     * @param active the adapters active on this thread
     */
    AdapterSummary adapterSummary(List<String> active) {
        List<AdapterSummary.Row> rows = new ArrayList<>();
        long adapterTotal = 0;
        for (Map.Entry<String, AdapterConfig> entry : inventory.configs().entrySet()) {
            Count count = Count.of(inventory.parameters(entry.getKey()));
            adapterTotal += count.elements;
            rows.add(new AdapterSummary.Row(entry.getKey(), entry.getValue().architecture(), count.elements,
                    active.contains(entry.getKey()), count.allTrain()));
        }
        Set<Parameter> adapterParameters = new HashSet<>(inventory.adapterParameters());
        for (String fusion : fusions.all().keySet()) {
            List<Parameter> parameters = fusions.parameters(fusion);
            Count count = Count.of(parameters);
            adapterParameters.addAll(parameters);
            adapterTotal += count.elements;
            rows.add(new AdapterSummary.Row(fusion, "fusion", count.elements, false, count.allTrain()));
        }
        List<Parameter> all = allParameters();
        boolean baseTrainable = all.stream().filter(p -> !adapterParameters.contains(p))
                .allMatch(Parameter::requiresGradient);
        return new AdapterSummary(rows, Count.of(all).elements - adapterTotal, baseTrainable);
    }

    /** The model's parameters and the parameters of attachments outside its block tree, each once. */
    private List<Parameter> allParameters() {
        List<Parameter> all = new ArrayList<>(model.getParameters().values());
        all.addAll(inventory.outsideModel(all));
        return all;
    }

    /** Elements of some parameters, how many of them receive gradients, and whether every parameter does. */
    private record Count(long elements, long trainable, boolean allTrain) {

        static Count of(Iterable<Parameter> parameters) {
            long elements = 0;
            long trainable = 0;
            boolean allTrain = true;
            for (Parameter parameter : parameters) {
                long size = parameter.getArray().size();
                elements += size;
                trainable += parameter.requiresGradient() ? size : 0;
                allTrain &= parameter.requiresGradient();
            }
            return new Count(elements, trainable, allTrain);
        }
    }
}
