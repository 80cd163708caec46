package io.github.djladapters.runtime.methods.prefix;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AbstractMethodProvider;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import io.github.djladapters.runtime.methods.PeftFormat;
import java.util.ArrayList;
import io.github.djladapters.runtime.methods.CompositionKind;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Optional;

/**
 * Prefix tuning ({@link PrefixTuningConfig}): learned keys and values before every layer's
 * self-attention, through {@link KeyValueAttention}; on an encoder-decoder model, before every
 * decoder layer's self-attention, laid out as PEFT's ({@link PrefixLayout}). See
 * {@code docs/methods/prefix-tuning.md}.
 */
public final class PrefixTuningMethod extends AbstractMethodProvider<PrefixTuningConfig> {

    /** Creates the method; {@link java.util.ServiceLoader} calls this. */
    public PrefixTuningMethod() {
        super(PrefixTuningConfig.class, "prefix_tuning", AdapterMethod.PREFIX_TUNING);
    }

    /** Stack concatenates the prefixes; prefixes lengthen the keys, so they are neither averaged nor split by position. */
    @Override
    public Set<CompositionKind> compositions() {
        return EnumSet.of(CompositionKind.STACK, CompositionKind.PARALLEL, CompositionKind.BATCH_SPLIT);
    }

    @Override
    public void validate(PrefixTuningConfig config) {
        if (config.numVirtualTokens() < 1) {
            throw new IllegalArgumentException("prefix tuning num_virtual_tokens must be at least 1, got "
                    + config.numVirtualTokens());
        }
        if (config.initWeights() != null && !"zero".equals(config.initWeights())) {
            throw new IllegalArgumentException("prefix tuning init_weights must be \"zero\" or null, got '"
                    + config.initWeights() + "'");
        }
        if (config.encoderHiddenSize() != null && config.encoderHiddenSize() < 1) {
            throw new IllegalArgumentException("prefix tuning encoder_hidden_size must be at least 1, got "
                    + config.encoderHiddenSize());
        }
        Integer submodules = config.numTransformerSubmodules();
        if (submodules != null && submodules != 1 && submodules != 2) {
            throw new IllegalArgumentException("prefix tuning num_transformer_submodules must be 1 or 2, got "
                    + submodules);
        }
    }

    @Override
    public List<AdapterAttachment> attach(String name, PrefixTuningConfig config, BoundModel model,
            AdapterActivation activation) {
        List<KeyValueAttention> attention = attention(model);
        KeyValueAttention first = attention.get(0);
        // positions move after the prefix through the inputs, unless the attention places the prefix keys itself
        InputExtendingModel inputs = first.placesPrependedKeys() ? null
                : model.inputHooks().orElseThrow(() -> new IllegalArgumentException(
                        "prefix tuning needs a model whose inputs adapters can extend (InputExtendingModel), to move "
                                + "positions after the prefix; " + model.model().getClass().getSimpleName()
                                + " is not one"));
        PrefixLayout layout = PrefixLayout.of(model, config);
        int dim = first.keyValueHeads() * first.headDim();
        check(config.tokenDim(), dim, "token_dim", "the model's key/value width (key/value heads x head dim)");
        check(config.numAttentionHeads(), first.keyValueHeads(), "num_attention_heads", "the model's key/value heads");
        check(config.numLayers(), layout.tableLayers(), "num_layers", layout.submodules() == 1
                ? "the model's layer count" : "the model's encoder layer count (PEFT's num_layers)");
        PrefixHook hook = PrefixHook.on(inputs, attention);
        if (hook == null) {
            hook = new PrefixHook(inputs, attention, layout, activation);
        }
        NDManager manager = first.getParameters().valueAt(0).getArray().getManager();
        int layers = layout.tableLayers();
        PrefixWeights weights;
        if (config.inferenceMode()) {
            Shape saved = new Shape(config.numVirtualTokens(), 2L * layers * dim);
            weights = PrefixWeights.table(manager.zeros(saved), layers); // a saved adapter: its values are read next
        } else {
            int hidden = !config.prefixProjection() ? 0
                    : config.encoderHiddenSize() == null ? dim : config.encoderHiddenSize();
            weights = PrefixWeights.fresh(config.numVirtualTokens(), layers, dim, hidden,
                    "zero".equals(config.initWeights()), manager);
        }
        hook.putAdapter(name, weights);
        return List.of(hook);
    }

    /** Every layer's self-attention as a key/value hook point. */
    static List<KeyValueAttention> attention(BoundModel model) {
        List<KeyValueAttention> attention = new ArrayList<>();
        for (int i = 0; i < model.layerCount(); i++) {
            int layer = i;
            attention.add(model.keyValueAttention(i, Site.SELF_ATTENTION).orElseThrow(() ->
                    new IllegalArgumentException("prefix tuning needs self-attention that implements "
                            + "KeyValueAttention; '" + model.modulePath(layer, Site.SELF_ATTENTION) + "' ("
                            + model.block(layer, Site.SELF_ATTENTION).getClass().getSimpleName() + ") does not")));
        }
        return attention;
    }

    private static void check(Integer configured, int actual, String key, String what) {
        if (configured != null && configured != actual) {
            throw new IllegalArgumentException("prefix tuning " + key + " is " + configured + " but " + what
                    + " is " + actual);
        }
    }

    @Override
    public Optional<PeftFormat<PrefixTuningConfig>> peftFormat() {
        return Optional.of(new PrefixPeftFormat());
    }

    @Override
    public Optional<MethodCommandLine> commandLine() {
        return Optional.of(new PrefixCommandLine());
    }
}
