package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.methods.ResidualSlot;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterFusionConfig;
import io.github.djladapters.runtime.methods.AdapterRouting;
import io.github.djladapters.runtime.methods.FusionSite;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.NamedParameterLayer;
import io.github.djladapters.runtime.methods.ParameterTensors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bottleneck adapters after one sub-block: the wrapper at its output projection ({@code @OProj} for
 * the Adapters library's {@code mh_adapter}, {@code @OutputProj} for {@code output_adapter}), which
 * turns the projection's output into {@link BottleneckMath#replacement}. Its module path is where the
 * Adapters library keeps the adapters (the module holding the post-LN layer norm in a post-LN model,
 * such as {@code encoder.layer.0.attention.output}; else {@code <layer>.attention_adapters} or
 * {@code <layer>.output_adapters}), so tensor keys read {@code <that path>.adapter_up.weight}.
 * Several active at once are the library's {@code Stack}: each adapter runs on the previous one's
 * output ({@link BottleneckMath#stacked}); under per-row routing, {@code Average} or {@code Split}
 * each adapter's change to the output reaches its rows, weight or positions.
 */
final class BottleneckLayer extends NamedParameterLayer<BottleneckWeights> implements FusionSite {

    /** The library's module name for the fusion layers at a site, the prefix of their tensor keys. */
    static final String FUSION_PREFIX = "adapter_fusion_layer.";

    private final Map<String, FusionWeights> fusions = new LinkedHashMap<>();

    private final ResidualSlot residual;
    private final Block layerNorm;

    BottleneckLayer(Block base, String locationPath, AdapterActivation activation, ResidualSlot residual,
            Block layerNorm) {
        super(base, locationPath, activation, "bottleneck adapters");
        this.residual = residual;
        this.layerNorm = layerNorm;
    }

    void add(String name, BottleneckWeights weights) {
        putAdapter(name, weights);
    }

    @Override
    protected NDList forwardWith(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<BottleneckWeights>> uses) {
        NDArray h = base().forward(store, inputs, training, params).head();
        NDArray x = residual.take();
        String fusionName = activation().choice().fusion();
        FusionWeights fusion = fusionName == null || AdapterRouting.current().isPresent() ? null : fusions.get(fusionName);
        if (fusion != null) {
            return new NDList(BottleneckMath.fused(store, fusion, fusion.adapters().stream().map(this::require).toList(),
                    h, x, layerNorm, training, params));
        }
        if (uses.stream().noneMatch(AdapterUse::routed)) {
            // one adapter, or a Stack: each on the previous one's output
            return new NDList(BottleneckMath.stacked(store, uses.stream().map(AdapterUse::adapter).toList(), h, x,
                    layerNorm, training, params));
        }
        NDArray out = h;
        for (AdapterUse<BottleneckWeights> use : uses) {
            if (!use.routed()) {
                throw new IllegalStateException("bottleneck adapter '" + use.name() + "' applies to every row and"
                        + " position at '" + modulePath() + "' while " + uses.stream().map(AdapterUse::name).toList()
                        + " share the output; a setup cannot mix the two");
            }
            NDArray own = BottleneckMath.replacement(store, use.adapter(), h, x, layerNorm, training, params);
            out = out.add(use.onRows(own.sub(h)));
        }
        return new NDList(out);
    }

    @Override
    public void addFusion(String name, List<String> fused, AdapterFusionConfig config) {
        if (fusions.containsKey(name)) {
            throw new IllegalArgumentException("'" + modulePath() + "' already holds adapter fusion '" + name + "'");
        }
        Parameter up = require(fused.get(0)).upWeight();
        FusionWeights weights = new FusionWeights(config, fused, up.getArray().getShape().get(0),
                up.getArray().getManager());
        fusions.put(name, addChildBlock("fusion_" + name, weights));
    }

    @Override
    public void removeFusion(String name) {
        FusionWeights weights = fusions.remove(name);
        if (weights == null) {
            return;
        }
        for (int i = 0; i < children.size(); i++) {
            if (children.valueAt(i) == weights) {
                children.remove(i);
                break;
            }
        }
        weights.getParameters().values().forEach(Parameter::close);
    }

    @Override
    public Map<String, List<String>> fusions() {
        Map<String, List<String>> held = new LinkedHashMap<>();
        fusions.forEach((name, weights) -> held.put(name, weights.adapters()));
        return held;
    }

    @Override
    public List<Parameter> fusionParameters(String name) {
        FusionWeights weights = fusions.get(name);
        return weights == null ? List.of() : List.copyOf(weights.namedParameters().values());
    }

    @Override
    public Map<String, NDArray> exportFusion(String name, NDManager manager) {
        return ParameterTensors.copies(requireFusion(name).namedParameters(), FUSION_PREFIX + name + ".", manager);
    }

    @Override
    public Map<String, Shape> fusionShapes(String name) {
        return ParameterTensors.shapes(requireFusion(name).namedParameters(), FUSION_PREFIX + name + ".");
    }

    @Override
    public void importFusion(String name, String suffix, NDArray value) {
        String prefix = FUSION_PREFIX + name + ".";
        Parameter parameter = suffix.startsWith(prefix)
                ? requireFusion(name).namedParameters().get(suffix.substring(prefix.length())) : null;
        if (parameter == null) {
            throw new IllegalArgumentException("adapter fusion '" + name + "' at '" + modulePath() + "' has no tensor '"
                    + suffix + "'");
        }
        overwrite(parameter, value);
    }

    private FusionWeights requireFusion(String name) {
        FusionWeights weights = fusions.get(name);
        if (weights == null) {
            throw new IllegalArgumentException("'" + modulePath() + "' holds no adapter fusion '" + name + "'");
        }
        return weights;
    }

    /** Removes an adapter and every fusion over it. */
    @Override
    public void removeAdapter(String name) {
        for (String fusion : List.copyOf(fusions.keySet())) {
            if (fusions.get(fusion).adapters().contains(name)) {
                removeFusion(fusion);
            }
        }
        super.removeAdapter(name);
    }

    @Override
    public void release() {
        List.copyOf(fusions.keySet()).forEach(this::removeFusion);
        super.release();
    }

    @Override
    protected Map<String, Parameter> namedParameters(BottleneckWeights weights) {
        return weights.namedParameters();
    }
}
