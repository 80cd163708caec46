package io.github.djladapters.runtime.methods.adaptionprompt;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AbstractMethodProvider;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.LinearBase;
import io.github.djladapters.runtime.methods.PeftFormat;
import java.util.ArrayList;
import io.github.djladapters.runtime.methods.CompositionKind;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Optional;

/**
 * Applies {@link AdaptionPromptConfig}: an {@link AdaptionPromptHook} on the self-attention of each of
 * the top {@code adapter_layers} layers, on any decoder whose attention implements
 * {@link KeyValueAttention}. A new prompt is drawn from N(0, 1) (PEFT's init) and its gate is zero,
 * so a new adapter leaves the model's output unchanged. Only prompts and gates train.
 */
public final class AdaptionPromptMethod extends AbstractMethodProvider<AdaptionPromptConfig> {

    /** Creates the method; {@link java.util.ServiceLoader} calls this. */
    public AdaptionPromptMethod() {
        super(AdaptionPromptConfig.class, "adaption_prompt", AdapterMethod.ADAPTION_PROMPT);
    }

    /** Stack adds each adapter's gated attention to the prompt, as several active adaption prompts do. */
    @Override
    public Set<CompositionKind> compositions() {
        return EnumSet.of(CompositionKind.STACK, CompositionKind.PARALLEL, CompositionKind.BATCH_SPLIT);
    }

    @Override
    public Optional<PeftFormat<AdaptionPromptConfig>> peftFormat() {
        return Optional.of(new AdaptionPromptPeftFormat());
    }

    @Override
    public void validate(AdaptionPromptConfig config) {
        if (config.adapterLen() <= 0) {
            throw new IllegalArgumentException("adaption prompt adapter_len must be positive, got " + config.adapterLen());
        }
        if (config.adapterLayers() <= 0) {
            throw new IllegalArgumentException("adaption prompt adapter_layers must be positive, got "
                    + config.adapterLayers());
        }
    }

    @Override
    public List<AdapterAttachment> attach(String name, AdaptionPromptConfig config, BoundModel model,
            AdapterActivation activation) {
        int layers = model.layerCount();
        if (config.adapterLayers() > layers) {
            throw new IllegalArgumentException("adaption prompt adapter_layers is " + config.adapterLayers()
                    + ", more than the model's " + layers + " layers");
        }
        NDManager manager = model.model().getParameters().valueAt(0).getArray().getManager();
        List<AdapterAttachment> attached = new ArrayList<>();
        for (int layer = layers - config.adapterLayers(); layer < layers; layer++) {
            String path = model.modulePath(layer, Site.SELF_ATTENTION);
            KeyValueAttention attention = model.keyValueAttention(layer, Site.SELF_ATTENTION).orElseThrow(() ->
                    new IllegalArgumentException("the self-attention '" + path + "' does not implement "
                            + KeyValueAttention.class.getSimpleName() + "; adaption prompts need it"));
            String target = config.targetModules();
            if (target != null && !path.equals(target) && !path.endsWith("." + target)) {
                throw new IllegalArgumentException("adaption prompt target_modules '" + target + "' does not name the"
                        + " self-attention '" + path + "'; use its last name or leave target_modules out");
            }
            AdaptionPromptHook hook;
            Object extension = attention.keyValueExtension().orElse(null);
            if (extension instanceof AdaptionPromptHook existing) {
                hook = existing;
            } else if (extension != null) {
                throw new IllegalArgumentException("the self-attention '" + path + "' already holds another method's"
                        + " key/value extension (" + extension.getClass().getSimpleName() + "); one per attention");
            } else {
                hook = new AdaptionPromptHook(attention, model, layer, activation);
            }
            long hidden = hiddenSize(model, layer);
            hook.putAdapter(name, new AdaptionPromptWeights(
                    manager.randomNormal(0, 1, new Shape(1, config.adapterLen(), hidden), DataType.FLOAT32),
                    manager.zeros(new Shape(1), DataType.FLOAT32)));
            attached.add(hook);
        }
        return attached;
    }

    /** The width the prompt lives in: the input features of the key (or fused q/k/v) projection. */
    private static long hiddenSize(BoundModel model, int layer) {
        Site site = model.sites().contains(Site.QKV_PROJ) ? Site.QKV_PROJ : Site.K_PROJ;
        Block block = model.block(layer, site);
        while (block instanceof AdapterLayer<?> wrapper) {
            block = wrapper.base();
        }
        return LinearBase.of(block, model.modulePath(layer, site)).inFeatures();
    }
}
