package io.github.djladapters.runtime.methods;

import ai.djl.nn.Block;
import io.github.djladapters.runtime.bindings.Site;

/**
 * One module an adapter goes on, as resolved from a config.
 *
 * @param path the Hugging Face module path
 * @param block the block now at that path (an {@link AdapterLayer} when another adapter is there)
 * @param layer the transformer layer index, or -1 when the path names none
 * @param site the declared site at that path, or null for a module found only by name
 * @param fusedParts for a fused qkv site targeted by role, which of {@code q, k, v} the adapter
 *     changes (e.g. {@code "qv"}); null for the whole module
 * @param fusedSizes the output sizes of q, k and v when {@code fusedParts} is set, else null
 */
public record TargetModule(String path, Block block, int layer, Site site, String fusedParts, int[] fusedSizes) {

    /**
     * A whole module.
     *
     * @param path the module path
     * @param block the block at it
     * @param layer the layer index, or -1
     * @param site the declared site, or null
     */
    public TargetModule(String path, Block block, int layer, Site site) {
        this(path, block, layer, site, null, null);
    }

    /**
     * Which output features the adapter may change: 1 on the targeted fused q/k/v slices, 0
     * elsewhere.
     *
     * @return the mask over output features, or null when the whole module is targeted
     */
    public float[] outputMask() {
        if (fusedParts == null) {
            return null;
        }
        float[] mask = new float[fusedSizes[0] + fusedSizes[1] + fusedSizes[2]];
        int from = 0;
        for (int part = 0; part < 3; part++) {
            if (fusedParts.indexOf("qkv".charAt(part)) >= 0) {
                java.util.Arrays.fill(mask, from, from + fusedSizes[part], 1f);
            }
            from += fusedSizes[part];
        }
        return mask;
    }
}
