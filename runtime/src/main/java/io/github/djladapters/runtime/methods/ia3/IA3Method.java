package io.github.djladapters.runtime.methods.ia3;

import io.github.djladapters.runtime.engine.ArrayValues;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import io.github.djladapters.runtime.methods.PeftFormat;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AbstractMethodProvider;
import io.github.djladapters.runtime.methods.ModuleWrappingMethod;
import io.github.djladapters.runtime.methods.LinearBase;
import io.github.djladapters.runtime.methods.TargetModule;
import io.github.djladapters.runtime.methods.CompositionKind;
import java.util.EnumSet;
import java.util.Set;
import java.util.Optional;

/** Applies {@link IA3Config}: resolves its modules and puts an {@link IA3Layer} adapter on each. */
public final class IA3Method extends AbstractMethodProvider<IA3Config>
        implements ModuleWrappingMethod<IA3Config> {

    /** Creates the method; {@link java.util.ServiceLoader} calls this. */
    public IA3Method() {
        super(IA3Config.class, "ia3", AdapterMethod.LORA); // IA3 belongs to the LoRA family, as in the Adapters library
    }

    /** Stack multiplies the scaling vectors; Average is left out: products of weighted scalings are not a weighted sum of outputs. */
    @Override
    public Set<CompositionKind> compositions() {
        return EnumSet.of(CompositionKind.STACK, CompositionKind.PARALLEL, CompositionKind.BATCH_SPLIT, CompositionKind.SPLIT);
    }

    @Override
    public Optional<PeftFormat<IA3Config>> peftFormat() {
        return Optional.of(new IA3PeftFormat());
    }

    @Override
    public Optional<MethodCommandLine> commandLine() {
        return Optional.of(new IA3CommandLine());
    }

    @Override
    public void validate(IA3Config config) {
        if (config.feedforwardModules() != null && config.targetModules() == null) {
            throw new IllegalArgumentException("IA3 feedforward_modules needs target_modules (a subset of them)");
        }
        if (config.feedforwardModules() != null && config.feedforwardModules().names() != null
                && config.targetModules().names() != null
                && !config.targetModules().names().containsAll(config.feedforwardModules().names())) {
            throw new IllegalArgumentException("IA3 feedforward_modules " + config.feedforwardModules().names()
                    + " must be a subset of target_modules " + config.targetModules().names() + ", as in PEFT");
        }
    }

    @Override
    public AdapterAttachment attachAt(String name, IA3Config config, BoundModel model, TargetModule target,
            AdapterActivation activation) {
        IA3Layer layer = AdapterLayer.at(model, target, IA3Layer.class,
                t -> new IA3Layer(t.block(), t.path(), activation));
        boolean feedforward = config.targetModules() != null
                ? config.feedforwardModules() != null && config.feedforwardModules().matches(target.path())
                : target.site() == Site.OUTPUT_PROJ;
        LinearBase linear = layer.linear();
        NDManager manager = linear.weight().getArray().getManager();
        Shape shape = feedforward ? new Shape(1, linear.inFeatures()) : new Shape(linear.outFeatures(), 1);
        NDArray scale = config.initIa3Weights() ? manager.ones(shape)
                : manager.randomUniform(0.5f, 1.5f, shape, DataType.FLOAT32);
        float[] mask = target.outputMask();
        layer.add(name, new IA3Weights(scale, feedforward, mask == null ? null : ArrayValues.owned(manager.create(mask))));
        return layer;
    }
}
