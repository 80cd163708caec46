package io.github.djladapters.runtime.methods.lora;

import io.github.djladapters.runtime.engine.ArrayValues;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import io.github.djladapters.runtime.methods.PeftFormat;
import io.github.djladapters.runtime.methods.AdaptersLibraryFormat;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AbstractMethodProvider;
import io.github.djladapters.runtime.methods.ModuleWrappingMethod;
import io.github.djladapters.runtime.methods.LinearBase;
import io.github.djladapters.runtime.methods.TargetModule;
import io.github.djladapters.runtime.methods.CompositionKind;
import java.util.EnumSet;
import java.util.Set;
import java.util.Optional;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies {@link LoRAConfig}: resolves its modules and puts a {@link LoRALayer} adapter on each. */
public final class LoRAMethod extends AbstractMethodProvider<LoRAConfig>
        implements ModuleWrappingMethod<LoRAConfig> {

    /** Stack adds the deltas (PEFT's several active adapters); Average and Split weight or cut each delta, fused qkv included. */
    @Override
    public Set<CompositionKind> compositions() {
        return EnumSet.of(CompositionKind.STACK, CompositionKind.PARALLEL, CompositionKind.BATCH_SPLIT, CompositionKind.AVERAGE, CompositionKind.SPLIT);
    }

    private static final Logger LOG = LoggerFactory.getLogger(LoRAMethod.class);

    /** Creates the method; {@link java.util.ServiceLoader} calls this. */
    public LoRAMethod() {
        super(LoRAConfig.class, "lora", AdapterMethod.LORA);
    }

    @Override
    public Optional<PeftFormat<LoRAConfig>> peftFormat() {
        return Optional.of(new LoRAPeftFormat());
    }

    @Override
    public Optional<AdaptersLibraryFormat<LoRAConfig>> adaptersLibraryFormat() {
        return Optional.of(new LoRAAdaptersLibraryFormat());
    }

    @Override
    public Optional<MethodCommandLine> commandLine() {
        return Optional.of(new LoRACommandLine());
    }

    @Override
    public void validate(LoRAConfig config) {
        if (config.r() <= 0) {
            throw new IllegalArgumentException("LoRA r must be positive, got " + config.r());
        }
        config.rankPattern().forEach((key, rank) -> {
            if (rank == null || rank <= 0) {
                throw new IllegalArgumentException("LoRA rank_pattern '" + key + "' must be positive, got " + rank);
            }
        });
        if (config.loraDropout() < 0 || config.loraDropout() >= 1) {
            throw new IllegalArgumentException("LoRA lora_dropout must be in [0, 1), got " + config.loraDropout());
        }
        if (config.useGating() && config.useDora()) {
            throw new IllegalArgumentException("LoRA use_gating cannot be combined with use_dora");
        }
        if (!"none".equals(config.bias())) {
            throw new IllegalArgumentException("LoRA bias '" + config.bias() + "' is not supported; use \"none\"");
        }
    }

    @Override
    public AdapterAttachment attachAt(String name, LoRAConfig config, BoundModel model, TargetModule target,
            AdapterActivation activation) {
        LoRALayer layer = AdapterLayer.at(model, target, LoRALayer.class,
                t -> new LoRALayer(t.block(), t.path(), activation));
        LinearBase linear = layer.linear();
        if (config.fanInFanOut() != linear.fanInFanOut()) {
            // PEFT warns and follows the module type; so do we.
            LOG.warn("fan_in_fan_out is {} but module '{}' stores its weight {}; using {}", config.fanInFanOut(),
                    target.path(), linear.fanInFanOut() ? "[in, out]" : "[out, in]", linear.fanInFanOut());
        }
        layer.add(name, newWeights(config, target, linear));
        return layer;
    }

    private static LoRAWeights newWeights(LoRAConfig config, TargetModule target, LinearBase linear) {
        int r = patternValue(config.rankPattern(), target.path(), config.r());
        int alpha = patternValue(config.alphaPattern(), target.path(), config.loraAlpha());
        double scaling = config.useRslora() ? alpha / Math.sqrt(r) : (double) alpha / r;
        NDManager manager = linear.weight().getArray().getManager();
        long in = linear.inFeatures();
        long out = linear.outFeatures();
        NDArray a;
        NDArray b;
        switch (config.initLoraWeights()) {
            case GAUSSIAN -> {
                a = manager.randomNormal(0, 1f / r, new Shape(r, in), DataType.FLOAT32);
                b = manager.zeros(new Shape(out, r));
            }
            case NONE -> {
                a = kaimingUniform(manager, new Shape(r, in));
                b = kaimingUniform(manager, new Shape(out, r));
            }
            default -> {
                a = kaimingUniform(manager, new Shape(r, in));
                b = manager.zeros(new Shape(out, r));
            }
        }
        float[] outputMask = target.outputMask();
        NDArray mask = outputMask == null ? null : ArrayValues.owned(manager.create(outputMask));
        NDArray magnitude = null;
        if (config.useDora()) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray weight = linear.weight().getArray().duplicate();
                weight.attach(scope);
                NDArray outIn = linear.fanInFanOut() ? weight.transpose() : weight;
                NDArray effectiveB = mask == null ? b.duplicate() : b.mul(mask.reshape(-1, 1));
                effectiveB.attach(scope);
                NDArray norm = outIn.add(effectiveB.matMul(a).mul(scaling)).square().sum(new int[] {1}).sqrt();
                magnitude = norm.duplicate();
                magnitude.attach(manager);
            }
        }
        NDArray[] gate = config.useGating() ? gate(manager, in) : null;
        return new LoRAWeights(a, b, magnitude, gate, scaling, (float) config.loraDropout(), mask);
    }

    /**
     * The adapters library's gate, {@code nn.Linear(in, 1)} with its weight drawn from N(0, 0.02) and
     * PyTorch's default bias, U(+-1/sqrt(in)).
     */
    private static NDArray[] gate(NDManager manager, long in) {
        float bound = (float) (1 / Math.sqrt(in));
        return new NDArray[] {manager.randomNormal(0, 0.02f, new Shape(1, in), DataType.FLOAT32),
            manager.randomUniform(-bound, bound, new Shape(1), DataType.FLOAT32)};
    }

    /** PyTorch's {@code kaiming_uniform_(a=sqrt(5))}, the default init of {@code nn.Linear}: U(+-1/sqrt(fan_in)). */
    private static NDArray kaimingUniform(NDManager manager, Shape shape) {
        float bound = (float) (1 / Math.sqrt(shape.get(1)));
        return manager.randomUniform(-bound, bound, shape, DataType.FLOAT32);
    }

    /**
     * PEFT's {@code get_pattern_key}: the first pattern key {@code k} such that the module path fully
     * matches {@code (.*\.)?(k)$}.
     */
    static int patternValue(Map<String, Integer> patterns, String path, int fallback) {
        for (Map.Entry<String, Integer> entry : patterns.entrySet()) {
            if (Pattern.compile("(.*\\.)?(" + entry.getKey() + ")$").matcher(path).matches()) {
                return entry.getValue();
            }
        }
        return fallback;
    }
}
