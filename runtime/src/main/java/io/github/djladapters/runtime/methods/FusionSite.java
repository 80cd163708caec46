package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Map;

/**
 * An attachment that can hold AdapterFusion layers over the adapters it holds (bottleneck adapters
 * at one site). The facade adds, removes, trains, saves and loads fusions through this interface;
 * the forward runs a fusion when the active choice names it ({@link AdapterActivation.Choice#fusion()}).
 */
public interface FusionSite extends AdapterAttachment {

    /**
     * Adds a fusion layer over adapters this site holds, with fresh weights (the library's initialisation).
     *
     * @param name the fusion's name, the adapter names joined by commas as the library names it
     * @param adapters the fused adapters, in order
     * @param config the fusion config
     */
    void addFusion(String name, List<String> adapters, AdapterFusionConfig config);

    /**
     * Removes a fusion layer and frees its arrays; nothing when absent.
     *
     * @param name the fusion's name
     */
    void removeFusion(String name);

    /**
     * The fusions held here.
     *
     * @return fusion name to its adapters
     */
    Map<String, List<String>> fusions();

    /**
     * The trainable parameters of one fusion here.
     *
     * @param name the fusion's name
     * @return its parameters, empty when absent
     */
    List<Parameter> fusionParameters(String name);

    /**
     * One fusion's tensors, keyed relative to {@link #modulePath()} as the library saves them
     * ({@code adapter_fusion_layer.<name>.query.weight}).
     *
     * @param name the fusion's name
     * @param manager receives copies
     * @return suffix to tensor, in a stable order
     */
    Map<String, NDArray> exportFusion(String name, NDManager manager);

    /**
     * The shapes {@link #importFusion} expects.
     *
     * @param name the fusion's name
     * @return suffix to shape, in the order of {@link #exportFusion}
     */
    Map<String, Shape> fusionShapes(String name);

    /**
     * Sets one tensor of one fusion; the caller has checked its shape.
     *
     * @param name the fusion's name
     * @param suffix a suffix of {@link #fusionShapes}
     * @param value the values
     */
    void importFusion(String name, String suffix, NDArray value);
}
