package io.github.djladapters.runtime.methods;

import java.util.List;

/**
 * What a config says about where its adapter goes, in the vocabulary shared by PEFT and the
 * adapters library. When {@code targetModules} is set it decides alone (PEFT); otherwise the roles
 * do (the adapters library's {@code attn_matrices}, {@code intermediate_lora}, ...).
 *
 * @param targetModules PEFT's {@code target_modules}, or null to select by role
 * @param roles roles to target when {@code targetModules} is null: {@code q, k, v, o, intermediate,
 *     output}
 * @param layersToTransform PEFT's {@code layers_to_transform}, or null for all layers
 * @param layersPattern PEFT's {@code layers_pattern}: the name before the layer index in paths, or
 *     null for any
 * @param leaveOut the adapters library's {@code leave_out}: layers to skip, or null
 */
public record TargetSelection(TargetModules targetModules, List<String> roles, List<Integer> layersToTransform,
        List<String> layersPattern, List<Integer> leaveOut) {

    /** Checks that layer indices are not negative. */
    public TargetSelection {
        for (List<Integer> indices : java.util.Arrays.asList(layersToTransform, leaveOut)) {
            if (indices != null && indices.stream().anyMatch(i -> i == null || i < 0)) {
                throw new IllegalArgumentException((indices == layersToTransform ? "layers_to_transform " : "leave_out ")
                        + indices + " holds a negative or null index; layer indices start at 0");
            }
        }
    }

    /**
     * Whether a layer index is selected.
     *
     * @param layer the layer index, or -1 when the module is in no layer
     * @return false when {@code layersToTransform} excludes it or {@code leaveOut} names it
     */
    public boolean selectsLayer(int layer) {
        if (layersToTransform != null && !layersToTransform.isEmpty() && !layersToTransform.contains(layer)) {
            return false;
        }
        return leaveOut == null || !leaveOut.contains(layer);
    }
}
