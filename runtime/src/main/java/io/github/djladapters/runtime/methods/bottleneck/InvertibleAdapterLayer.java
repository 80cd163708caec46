package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.architecture.EmbeddingsOutputModel;
import io.github.djladapters.runtime.architecture.OutputEmbeddingsModel;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.NamedParameterLayer;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.TargetModule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The invertible adapters of bottleneck configs with {@code inv_adapter} (the Adapters library's
 * {@code InvertibleAdapterLayer}): a wrapper at the model's {@code @Embeddings} block that runs the
 * first active adapter's {@link NiceCoupling} on the embeddings output (on what the model passes to
 * {@link EmbeddingsOutputModel#afterEmbeddings} when it is one, as BERT and GPT-2, else on the token
 * table's output, as Llama) and, when the model is an {@link OutputEmbeddingsModel} (a language-model
 * head), its inverse on the final hidden states before the output projection. Encoders get the forward coupling only. Its module path is the
 * library's {@code invertible_adapters} on the base model, so tensors are saved as
 * {@code invertible_adapters.<name>.F.0.weight} and so on.
 */
final class InvertibleAdapterLayer extends NamedParameterLayer<NiceCoupling>
        implements OutputEmbeddingsModel.OutputEmbeddingsInput {

    /** The library's module name of the invertible adapters, on the base model. */
    static final String MODULE = "invertible_adapters";

    /** A regular expression matching the tensor names of one coupling. */
    static final String TENSOR_NAME = "(?:F|G)\\.[02]\\.(?:weight|bias)";

    private final OutputEmbeddingsModel head;
    private final EmbeddingsOutputModel input;

    private InvertibleAdapterLayer(Block embeddings, String modulePath, AdapterActivation activation,
            OutputEmbeddingsModel head, EmbeddingsOutputModel input) {
        super(embeddings, modulePath, activation, "invertible adapters");
        this.head = head;
        this.input = input;
    }

    /**
     * Adds one adapter's coupling at the model's embeddings, wrapping them on first use.
     *
     * @param name the adapter name
     * @param config a config with {@code inv_adapter}
     * @param model the bound model
     * @param activation the model's activation state
     * @return the wrapper, placed but not necessarily installed
     */
    static InvertibleAdapterLayer attach(String name, BnConfig config, BoundModel model,
            AdapterActivation activation) {
        check(config, model);
        Block block = model.embeddings();
        InvertibleAdapterLayer layer;
        if (block instanceof InvertibleAdapterLayer existing) {
            layer = existing;
        } else {
            if (block instanceof AdapterLayer<?> other) {
                throw new IllegalArgumentException("module '" + model.embeddingsPath() + "' already holds "
                        + other.getClass().getSimpleName() + " adapters " + other.adapterNames()
                        + "; invertible adapters need it for themselves");
            }
            OutputEmbeddingsModel head = model.model() instanceof OutputEmbeddingsModel m ? m : null;
            EmbeddingsOutputModel input = model.model() instanceof EmbeddingsOutputModel m ? m : null;
            layer = new InvertibleAdapterLayer(block, modulePath(model), activation, head, input);
            layer.placeAt(model, new TargetModule(model.embeddingsPath(), block, -1, null));
        }
        Parameter table = layer.base().getParameters().valueAt(0);
        Shape shape = table.getArray().getShape();
        layer.putAdapter(name, new NiceCoupling(shape.get(shape.dimension() - 1), config.invAdapterReductionFactor(),
                config.nonLinearity(), table.getArray().getManager()));
        return layer;
    }

    /**
     * The library's module path of the invertible adapters: {@code invertible_adapters} on its base model,
     * the innermost module holding both the embeddings and the layers ({@code transformer.} in GPT-2's
     * LM model, {@code model.} in Llama's, nothing in a bare {@code BertModel}).
     *
     * @param model the bound model
     * @return for example {@code transformer.invertible_adapters}
     */
    static String modulePath(BoundModel model) {
        String[] embeddings = model.embeddingsPath().split("\\.");
        String[] layer = model.layerPath(0).split("\\.");
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < Math.min(embeddings.length, layer.length) - 1 && embeddings[i].equals(layer[i]); i++) {
            prefix.append(embeddings[i]).append('.');
        }
        return prefix + MODULE;
    }

    /**
     * Refuses what cannot be attached, before anything is.
     *
     * @param config a config with {@code inv_adapter}
     * @param model the bound model
     */
    static void check(BnConfig config, BoundModel model) {
        if ("glow".equals(config.invAdapter())) {
            throw new IllegalArgumentException("inv_adapter 'glow' is not supported: the Adapters library's"
                    + " GLOWCouplingBlock splits its subnet outputs along the sequence axis of [batch, tokens, hidden]"
                    + " inputs and its forward is not the inverse of its reverse; use inv_adapter 'nice'");
        }
        if (!model.methods().contains(AdapterMethod.INVERTIBLE)) {
            throw new IllegalArgumentException("inv_adapter '" + config.invAdapter() + "' needs a model declaring "
                    + AdapterMethod.INVERTIBLE + "; " + model.model().getClass().getName() + " declares "
                    + model.methods());
        }
        Block block = model.embeddings();
        Block base = block instanceof InvertibleAdapterLayer existing ? existing.base() : block;
        if (base.getParameters().isEmpty()) {
            throw new IllegalArgumentException("the embeddings at '" + model.embeddingsPath() + "' have no"
                    + " parameters to take the hidden size from");
        }
    }

    @Override
    public void install() {
        super.install();
        if (head != null) {
            head.setOutputEmbeddingsInput(this);
        }
        if (input != null) {
            input.setEmbeddingsOutput(this::forwardCoupling);
        }
    }

    @Override
    public void uninstall(Block with) {
        boolean wasInstalled = installed();
        super.uninstall(with);
        if (wasInstalled && head != null && head.outputEmbeddingsInput().orElse(null) == this) {
            head.setOutputEmbeddingsInput(null);
        }
        if (wasInstalled && input != null) {
            input.setEmbeddingsOutput(null);
        }
    }

    @Override
    protected NDList forwardWith(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<NiceCoupling>> uses) {
        NDList out = base().forward(store, inputs, training, params);
        if (input != null) {
            return out; // the coupling runs later, on the whole embeddings output (forwardCoupling)
        }
        NDList result = new NDList(couple(store, out.head(), uses, false, training));
        for (int i = 1; i < out.size(); i++) {
            result.add(out.get(i));
        }
        return result;
    }

    /** The inverse of the first active adapter's coupling, before the output projection. */
    @Override
    public NDArray apply(ParameterStore store, NDArray hidden, boolean training) {
        return coupleActive(store, hidden, true, training);
    }

    /** The first active adapter's coupling on the embeddings output of an {@link EmbeddingsOutputModel}. */
    private NDArray forwardCoupling(ParameterStore store, NDArray hidden, boolean training) {
        return coupleActive(store, hidden, false, training);
    }

    private NDArray coupleActive(ParameterStore store, NDArray hidden, boolean reverse, boolean training) {
        Map<String, NiceCoupling> held = new LinkedHashMap<>();
        adapterNames().forEach(n -> held.put(n, adapter(n)));
        List<AdapterUse<NiceCoupling>> uses = AdapterUse.select(activation(), held, mergedAdapters());
        return uses.isEmpty() ? hidden : couple(store, hidden, uses, reverse, training);
    }

    /**
     * Runs the couplings: as the library, only the first adapter of the active setup (when it has an
     * invertible adapter); in a mixed batch each routed adapter on its own rows.
     */
    private NDArray couple(ParameterStore store, NDArray x, List<AdapterUse<NiceCoupling>> uses, boolean reverse,
            boolean training) {
        if (uses.stream().noneMatch(AdapterUse::routed)) {
            List<String> active = activation().choice().names();
            AdapterUse<NiceCoupling> first = uses.get(0);
            if (!active.isEmpty() && !active.get(0).equals(first.name())) {
                return x;
            }
            return first.adapter().apply(store, x, reverse, training);
        }
        NDArray out = x;
        for (AdapterUse<NiceCoupling> use : uses) {
            NDArray changed = use.adapter().apply(store, x, reverse, training);
            out = out.add(use.onRows(changed.sub(x)));
        }
        return out;
    }

    @Override
    protected Map<String, Parameter> namedParameters(NiceCoupling weights) {
        return weights.namedParameters();
    }
}
