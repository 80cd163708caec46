package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AbstractMethodProvider;
import io.github.djladapters.runtime.methods.AdaptersLibraryFormat;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.LinearBase;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import io.github.djladapters.runtime.methods.TargetModule;
import java.util.ArrayList;
import io.github.djladapters.runtime.methods.CompositionKind;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.Optional;

/**
 * Applies {@link BnConfig}: in every layer not left out, for {@code mh_adapter} and/or
 * {@code output_adapter}, a {@link ResidualRecorder} at the hook point before the sub-block, a
 * {@link BottleneckLayer} at its output projection and, for {@code original_ln_after = false} in a
 * model that declares the layer norm after the sub-block, a {@link NormBypass} there; with
 * {@code inv_adapter}, an {@link InvertibleAdapterLayer} at the embeddings.
 */
public final class BottleneckMethod extends AbstractMethodProvider<BnConfig> {

    /** Where in a layer: after attention or after the feed-forward block. */
    enum Location {
        MH_ADAPTER(Site.O_PROJ, Site.PRE_SELF_ATTENTION, Site.LAYER_NORM_1, "attention_adapters"),
        OUTPUT_ADAPTER(Site.OUTPUT_PROJ, Site.PRE_FFN, Site.LAYER_NORM_2, "output_adapters");

        final Site projection;
        final Site hook;
        final Site norm;
        final String hookedName;

        Location(Site projection, Site hook, Site norm, String hookedName) {
            this.projection = projection;
            this.hook = hook;
            this.norm = norm;
            this.hookedName = hookedName;
        }
    }

    /** Creates the method; {@link java.util.ServiceLoader} calls this. */
    public BottleneckMethod() {
        super(BnConfig.class, "bottleneck", AdapterMethod.BOTTLENECK);
    }

    /**
     * Stack chains the adapters at each site as the Adapters library does (each adapter's own
     * pre-processing and forward on the previous one's output, the last one's post-processing);
     * Average and Split weight or cut each adapter's output; Fuse runs an AdapterFusion layer over them.
     */
    @Override
    public Set<CompositionKind> compositions() {
        return EnumSet.of(CompositionKind.STACK, CompositionKind.PARALLEL, CompositionKind.BATCH_SPLIT,
                CompositionKind.AVERAGE, CompositionKind.SPLIT, CompositionKind.FUSE);
    }

    @Override
    public void checkComposition(CompositionKind block, Map<String, BnConfig> configs) {
        if (block == CompositionKind.STACK || block == CompositionKind.FUSE) {
            configs.forEach((name, config) -> {
                if (config.isParallel()) {
                    throw new IllegalArgumentException(block.blockName() + " cannot take bottleneck adapter '" + name
                            + "' with is_parallel = true: a parallel adapter reads the sub-block's input, not the"
                            + " sequential adapters' pre-processed one; adapters " + configs.keySet());
                }
            });
            same(block, configs, "original_ln_after", BnConfig::originalLnAfter);
        } else if (block == CompositionKind.AVERAGE || block == CompositionKind.SPLIT) {
            // the library pre-processes once, with the first adapter's settings, for all of them
            same(block, configs, "is_parallel", BnConfig::isParallel);
            same(block, configs, "original_ln_before", BnConfig::originalLnBefore);
            same(block, configs, "residual_before_ln", BnConfig::residualBeforeLn);
            same(block, configs, "original_ln_after", BnConfig::originalLnAfter);
        }
    }

    /** Several adapters at one site share the model's layer norm and residual: these fields must agree. */
    private static void same(CompositionKind block, Map<String, BnConfig> configs, String field,
            Function<BnConfig, Object> value) {
        Map<String, Object> values = new LinkedHashMap<>();
        configs.forEach((name, config) -> values.put(name, value.apply(config)));
        if (new HashSet<>(values.values()).size() > 1) {
            throw new IllegalArgumentException(block.blockName() + " cannot combine bottleneck adapters with different "
                    + field + ": " + values);
        }
    }

    @Override
    public void validate(BnConfig config) {
        // the record checks its values when built or read
    }

    @Override
    public Optional<AdaptersLibraryFormat<BnConfig>> adaptersLibraryFormat() {
        return Optional.of(new BottleneckLibraryFormat());
    }

    @Override
    public Optional<MethodCommandLine> commandLine() {
        return Optional.of(new BottleneckCommandLine());
    }

    @Override
    public List<AdapterAttachment> attach(String name, BnConfig config, BoundModel model,
            AdapterActivation activation) {
        if (config.invAdapter() != null) {
            InvertibleAdapterLayer.check(config, model);
        }
        List<AdapterAttachment> attached = new ArrayList<>();
        for (int layer = 0; layer < model.layerCount(); layer++) {
            if (config.leaveOut().contains(layer)) {
                continue;
            }
            if (config.mhAdapter()) {
                attach(name, config, model, activation, layer, Location.MH_ADAPTER, attached);
            }
            if (config.outputAdapter()) {
                attach(name, config, model, activation, layer, Location.OUTPUT_ADAPTER, attached);
            }
        }
        if (attached.isEmpty()) {
            throw new IllegalArgumentException("leave_out " + config.leaveOut() + " leaves out every one of the "
                    + model.layerCount() + " layers");
        }
        if (config.invAdapter() != null) {
            attached.add(InvertibleAdapterLayer.attach(name, config, model, activation));
        }
        return attached;
    }

    private static void attach(String name, BnConfig config, BoundModel model, AdapterActivation activation,
            int layer, Location at, List<AdapterAttachment> attached) {
        ResidualRecorder recorder = wrapper(model, layer, at.hook, ResidualRecorder.class,
                (block, path) -> new ResidualRecorder(block, path, activation));
        Block norm = model.sites().contains(at.norm) ? model.block(layer, at.norm) : null;
        Block normBase = norm instanceof NormBypass bypass ? bypass.base() : norm;
        if (normBase instanceof AdapterLayer<?> other) {
            throw occupied(model.modulePath(layer, at.norm), other);
        }
        if (config.residualBeforeLn() == ResidualBeforeLn.POST_ADD && normBase == null) {
            throw new IllegalArgumentException("residual_before_ln \"post_add\" needs the layer norm after the"
                    + " sub-block (@" + (at == Location.MH_ADAPTER ? "LayerNorm1" : "LayerNorm2")
                    + "), which " + model.model().getClass().getName() + " does not declare");
        }
        String location = normBase != null ? parent(model.modulePath(layer, at.norm))
                : model.layerPath(layer) + "." + at.hookedName;
        BottleneckLayer bottleneck = wrapper(model, layer, at.projection, BottleneckLayer.class,
                (block, path) -> new BottleneckLayer(block, location, activation, recorder.slot(), normBase));
        long hidden = LinearBase.of(bottleneck.base(), model.modulePath(layer, at.projection)).outFeatures();
        NDManager manager = LinearBase.of(bottleneck.base(), location).weight().getArray().getManager();
        bottleneck.add(name, new BottleneckWeights(config, hidden, config.width(hidden, layer), manager));
        recorder.add(name);
        attached.add(recorder);
        attached.add(bottleneck);
        if (!config.originalLnAfter() && normBase != null) {
            NormBypass bypass = wrapper(model, layer, at.norm, NormBypass.class,
                    (block, path) -> new NormBypass(block, path, activation));
            bypass.add(name);
            attached.add(bypass);
        }
    }

    /** The wrapper of this kind at a site: the one there, or a new one placed there. */
    private static <W extends AdapterLayer<?>> W wrapper(BoundModel model, int layer, Site site, Class<W> kind,
            java.util.function.BiFunction<Block, String, W> create) {
        Block block = model.block(layer, site);
        String path = model.modulePath(layer, site);
        if (kind.isInstance(block)) {
            return kind.cast(block);
        }
        if (block instanceof AdapterLayer<?> other) {
            throw occupied(path, other);
        }
        W wrapper = create.apply(block, path);
        wrapper.placeAt(model, new TargetModule(path, block, layer, site));
        return wrapper;
    }

    private static IllegalArgumentException occupied(String path, AdapterLayer<?> other) {
        return new IllegalArgumentException("module '" + path + "' already holds " + other.getClass().getSimpleName()
                + " adapters " + other.adapterNames() + "; bottleneck adapters need it for themselves");
    }

    private static String parent(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }
}
