package io.github.djladapters.runtime.methods.reft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.ResidualSlot;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AbstractMethodProvider;
import io.github.djladapters.runtime.methods.AdaptersLibraryFormat;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.LinearBase;
import io.github.djladapters.runtime.methods.TargetModule;
import java.util.ArrayList;
import io.github.djladapters.runtime.methods.CompositionKind;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Optional;

/**
 * Applies {@link ReftConfig}: a {@link ReftLayer} where each chosen layer's output is made, on any
 * model declared with the DSL. Post-LN layers (a declared {@code @LayerNorm2}, as BERT) are wrapped at
 * that norm; pre-LN layers (Llama, GPT-2) at the feed-forward {@code @OutputProj}, with a
 * {@link ResidualRecorder} at {@code @PreFfn}. Several ReFT adapters may be active at once; they
 * apply in activation order.
 */
public final class ReftMethod extends AbstractMethodProvider<ReftConfig> {

    /** Creates the method; {@link java.util.ServiceLoader} calls this. */
    public ReftMethod() {
        super(ReftConfig.class, "reft", AdapterMethod.REFT);
    }

    /** Stack applies the interventions in order; an intervention is not additive in its input, so no Average or Split. */
    @Override
    public Set<CompositionKind> compositions() {
        return EnumSet.of(CompositionKind.STACK, CompositionKind.PARALLEL, CompositionKind.BATCH_SPLIT);
    }

    @Override
    public Optional<AdaptersLibraryFormat<ReftConfig>> adaptersLibraryFormat() {
        return Optional.of(new ReftLibraryFormat());
    }

    @Override
    public void validate(ReftConfig config) {
        if (config.r() <= 0) {
            throw new IllegalArgumentException("ReFT r must be positive, got " + config.r());
        }
        if (config.prefixPositions() < 0 || config.suffixPositions() < 0) {
            throw new IllegalArgumentException("ReFT prefix_positions and suffix_positions must not be negative, got "
                    + config.prefixPositions() + " and " + config.suffixPositions());
        }
        if (config.dropout() < 0 || config.dropout() >= 1) {
            throw new IllegalArgumentException("ReFT dropout must be in [0, 1), got " + config.dropout());
        }
        if (config.nonLinearity() != null && !ReftIntervention.ACTIVATIONS.contains(config.nonLinearity())) {
            throw new IllegalArgumentException("ReFT non_linearity '" + config.nonLinearity() + "' is not one of "
                    + ReftIntervention.ACTIVATIONS);
        }
        if (!config.initWeights().equals("identity") && !config.initWeights().equals("linear")) {
            throw new IllegalArgumentException("ReFT init_weights '" + config.initWeights()
                    + "' is not identity or linear");
        }
    }

    @Override
    public List<AdapterAttachment> attach(String name, ReftConfig config, BoundModel model,
            AdapterActivation activation) {
        boolean postLn = model.sites().contains(Site.LAYER_NORM_2);
        if (!model.sites().contains(Site.OUTPUT_PROJ) || !postLn && !model.sites().contains(Site.PRE_FFN)) {
            throw new IllegalArgumentException("ReFT needs the layer output: declare @OutputProj and either @LayerNorm2"
                    + " (post-LN layers) or @PreFfn (pre-LN layers) in " + model.model().getClass().getName());
        }
        List<Integer> layers = new ArrayList<>();
        for (int layer = 0; layer < model.layerCount(); layer++) {
            layers.add(layer);
        }
        if (config.layers() != null) {
            for (int layer : config.layers()) {
                if (layer < 0 || layer >= model.layerCount()) {
                    throw new IllegalArgumentException("ReFT layers names layer " + layer + "; the model has layers 0 to "
                            + (model.layerCount() - 1));
                }
            }
            layers = config.layers();
        }
        NDManager manager = model.model().getParameters().valueAt(0).getArray().getManager();
        List<AdapterAttachment> attached = new ArrayList<>();
        for (int layer : layers) {
            long hidden = hiddenSize(model, layer);
            if (config.orthogonality() && config.r() > hidden) {
                throw new IllegalArgumentException("ReFT r " + config.r() + " is above the hidden size " + hidden
                        + "; orthonormal rows need r <= hidden");
            }
            ReftLayer wrapper;
            String reftPath = model.layerPath(layer) + ".reft_layer";
            if (postLn) {
                wrapper = wrapper(model, layer, Site.LAYER_NORM_2, reftPath, activation, null);
            } else {
                ResidualRecorder recorder = recorder(model, layer, activation);
                recorder.add(name);
                attached.add(recorder);
                wrapper = wrapper(model, layer, Site.OUTPUT_PROJ, reftPath, activation, recorder.slot());
            }
            wrapper.add(name, newWeights(config, hidden, manager));
            attached.add(wrapper);
        }
        return attached;
    }

    private static ReftLayer wrapper(BoundModel model, int layer, Site site, String reftPath,
            AdapterActivation activation, ResidualSlot slot) {
        Block block = model.block(layer, site);
        if (block instanceof ReftLayer existing) {
            return existing;
        }
        refuseOther(model, layer, site, block);
        return (ReftLayer) new ReftLayer(block, reftPath, activation, slot)
                .placeAt(model, new TargetModule(model.modulePath(layer, site), block, layer, site));
    }

    private static ResidualRecorder recorder(BoundModel model, int layer, AdapterActivation activation) {
        Block block = model.block(layer, Site.PRE_FFN);
        if (block instanceof ResidualRecorder existing) {
            return existing;
        }
        refuseOther(model, layer, Site.PRE_FFN, block);
        String path = model.modulePath(layer, Site.PRE_FFN);
        return (ResidualRecorder) new ResidualRecorder(block, path, activation, new ResidualSlot())
                .placeAt(model, new TargetModule(path, block, layer, Site.PRE_FFN));
    }

    private static void refuseOther(BoundModel model, int layer, Site site, Block block) {
        if (block instanceof AdapterLayer<?> other) {
            throw new IllegalArgumentException("module '" + model.modulePath(layer, site) + "' already holds "
                    + other.getClass().getSimpleName() + " adapters " + other.adapterNames()
                    + "; ReFT wraps it too, and one adapter method per module is supported");
        }
    }

    private static long hiddenSize(BoundModel model, int layer) {
        Block block = model.block(layer, Site.OUTPUT_PROJ);
        while (block instanceof AdapterLayer<?> wrapper) {
            block = wrapper.base();
        }
        return LinearBase.of(block, model.modulePath(layer, Site.OUTPUT_PROJ)).outFeatures();
    }

    /**
     * One adapter's units. R starts from PyTorch's {@code nn.Linear} init, made orthonormal with
     * orthogonality; {@code identity} init then sets {@code W} to the R the forward uses and {@code b}
     * to 0 (or both to 0 without subtraction), so that the change is exactly zero.
     */
    private static ReftWeights newWeights(ReftConfig config, long hidden, NDManager manager) {
        int units = config.tiedWeights() ? 1 : 2;
        float bound = (float) (1 / Math.sqrt(hidden));
        Shape shape = new Shape(config.r(), hidden);
        List<NDArray[]> values = new ArrayList<>();
        for (int i = 0; i < units; i++) {
            NDArray r = ReftIntervention.projection(manager.randomUniform(-bound, bound, shape, DataType.FLOAT32),
                    config.orthogonality());
            NDArray w;
            NDArray b;
            if (config.initWeights().equals("linear")) {
                w = manager.randomUniform(-bound, bound, shape, DataType.FLOAT32);
                b = manager.randomUniform(-bound, bound, new Shape(config.r()), DataType.FLOAT32);
            } else {
                w = config.subtractProjection()
                        ? ReftIntervention.projection(ReftIntervention.local(r, manager), config.orthogonality())
                        : manager.zeros(shape, DataType.FLOAT32);
                b = manager.zeros(new Shape(config.r()), DataType.FLOAT32);
            }
            values.add(new NDArray[] {w, b, r});
        }
        return new ReftWeights(config, values);
    }
}
