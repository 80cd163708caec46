package io.github.djladapters.runtime.methods.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.KeyValueExtension;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.InputExtension;
import io.github.djladapters.runtime.architecture.ModelInputs;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterHook;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.virtualtokens.PromptEmbeddingsKey;
import io.github.djladapters.runtime.methods.virtualtokens.VirtualTokenRows;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prefix tuning on a whole model: one {@link KeyValueExtension} per layer's self-attention prepends
 * that layer's learned keys and values (PEFT's {@code past_key_values}), and an
 * {@link InputExtension} moves the real tokens' position ids right by the number of prefix positions,
 * as they move in PEFT behind a prefilled cache. The attention mask is left alone: the prefix
 * positions are attended through {@link ExtendedKeyValues}. With the generation cache the cache holds
 * the real tokens only and the prefix is prepended again at every step. Attention with relative
 * positions (T5, {@link KeyValueAttention#placesPrependedKeys}) needs no input extension: it places the
 * prefix keys by {@link ExtendedKeyValues#prefixPositions}. Layer {@code i} reads the table's block
 * {@link PrefixLayout#tableLayer}.
 *
 * <p>Several applied adapters stack their prefixes; in a batch routed per row, a row does not see the
 * prefixes of adapters it does not use (an additive mask hides them) and its positions move by the
 * prefixes it sees only, so it computes what it would alone.
 */
final class PrefixHook extends AdapterHook<PrefixWeights> implements InputExtension {

    /** The suffix of the one tensor PEFT saves. */
    static final String PROMPT_EMBEDDINGS = PromptEmbeddingsKey.SUFFIX;

    private final InputExtendingModel model; // null where the attention places the prefix keys itself
    private final List<KeyValueAttention> attention;
    private final PrefixLayout layout;
    private final List<LayerPrefix> layers = new ArrayList<>();

    PrefixHook(InputExtendingModel model, List<KeyValueAttention> attention, PrefixLayout layout,
            AdapterActivation activation) {
        super("", activation);
        this.model = model;
        this.attention = List.copyOf(attention);
        this.layout = layout;
        for (int i = 0; i < attention.size(); i++) {
            layers.add(new LayerPrefix(i));
        }
    }

    /** The hook on the model already, if any: found on its inputs, or on its first attention block. */
    static PrefixHook on(InputExtendingModel model, List<KeyValueAttention> attention) {
        if (model != null) {
            return model.inputExtension().orElse(null) instanceof PrefixHook hook ? hook : null;
        }
        return attention.get(0).keyValueExtension().orElse(null) instanceof LayerPrefix layer ? layer.hook() : null;
    }

    @Override
    protected void installHook() {
        InputExtension inputs = model == null ? null : model.inputExtension().orElse(null);
        if (inputs != null && inputs != this) {
            throw new IllegalStateException("the model's inputs are already extended by "
                    + inputs.getClass().getSimpleName() + "; prefix tuning takes them alone");
        }
        for (int i = 0; i < attention.size(); i++) {
            KeyValueExtension current = attention.get(i).keyValueExtension().orElse(null);
            if (current != null && current != layers.get(i)) {
                throw new IllegalStateException("layer " + i + "'s attention is already extended by "
                        + current.getClass().getSimpleName() + "; prefix tuning takes it alone");
            }
        }
        if (model != null) {
            model.setInputExtension(this);
        }
        for (int i = 0; i < attention.size(); i++) {
            attention.get(i).setKeyValueExtension(layers.get(i));
        }
    }

    @Override
    protected void uninstallHook() {
        if (model != null && model.inputExtension().orElse(null) == this) {
            model.setInputExtension(null);
        }
        for (int i = 0; i < attention.size(); i++) {
            if (attention.get(i).keyValueExtension().orElse(null) == layers.get(i)) {
                attention.get(i).setKeyValueExtension(null);
            }
        }
    }

    @Override
    public ModelInputs extend(ModelInputs inputs) {
        List<AdapterUse<PrefixWeights>> uses = uses();
        if (uses.isEmpty()) {
            return inputs;
        }
        NDArray embeddings = inputs.embeddings();
        NDManager manager = embeddings.getManager();
        long batch = embeddings.getShape().get(0);
        NDArray positions = inputs.positionIds();
        if (positions == null) {
            positions = manager.arange(0L, embeddings.getShape().get(1), 1L, DataType.INT64)
                    .expandDims(0).broadcast(new Shape(batch, embeddings.getShape().get(1)));
        }
        NDArray shifted = positions.add(rows(uses, batch, manager).shift(positions.getDataType()));
        return new ModelInputs(embeddings, inputs.attentionMask(), shifted, inputs.tokenTypeIds());
    }

    private static VirtualTokenRows rows(List<AdapterUse<PrefixWeights>> uses, long batch, NDManager manager) {
        return VirtualTokenRows.of(uses.stream()
                .map(u -> new VirtualTokenRows.Segment(u.adapter().virtualTokens(), u.rowMask())).toList(),
                batch, manager);
    }

    @Override
    public Map<String, NDArray> exportTensors(String name, NDManager manager) {
        PrefixWeights weights = adapter(name);
        if (weights == null) {
            return Map.of();
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray all = weights.all(scope).duplicate();
            all.attach(manager);
            return Map.of(PROMPT_EMBEDDINGS, all);
        }
    }

    @Override
    public Map<String, Shape> tensorShapes(String name) {
        PrefixWeights weights = adapter(name);
        return weights == null ? Map.of() : Map.of(PROMPT_EMBEDDINGS, weights.savedShape());
    }

    /**
     * Sets an adapter's keys and values; a projection gives way to a table of them, as PEFT loads its
     * saved projection output.
     */
    @Override
    public void importTensor(String name, String suffix, NDArray value) {
        PrefixWeights weights = adapter(name);
        if (weights == null || !PROMPT_EMBEDDINGS.equals(suffix)) {
            throw new IllegalArgumentException("no tensor '" + suffix + "' for adapter '" + name + "' here");
        }
        NDArray table = weights.embedding().getArray();
        if (!weights.projected()) {
            table.set(value.toType(table.getDataType(), false).toFloatArray());
            return;
        }
        NDArray copy = table.getManager().create(value.toFloatArray(), value.getShape());
        removeAdapter(name);
        putAdapter(name, PrefixWeights.table(copy, layout.tableLayers()));
    }

    /** One layer's extension: the applied adapters' keys and values for that layer, in order. */
    private final class LayerPrefix implements KeyValueExtension {

        private final int layer;

        LayerPrefix(int layer) {
            this.layer = layer;
        }

        PrefixHook hook() {
            return PrefixHook.this;
        }

        @Override
        public ExtendedKeyValues extend(NDArray query, NDArray keys, NDArray values) {
            List<AdapterUse<PrefixWeights>> uses = uses();
            if (uses.isEmpty()) {
                return ExtendedKeyValues.unchanged(keys, values);
            }
            NDManager manager = keys.getManager();
            Shape shape = keys.getShape(); // [B, kvHeads, S, headDim]
            long heads = shape.get(1);
            long headDim = shape.get(3);
            NDList prefixKeys = new NDList();
            NDList prefixValues = new NDList();
            for (AdapterUse<PrefixWeights> use : uses) {
                PrefixWeights weights = use.adapter();
                if (weights.dim() != heads * headDim) {
                    throw new IllegalStateException("prefix adapter '" + use.name() + "' has keys " + weights.dim()
                            + " wide but layer " + layer + " has " + heads + " key/value heads of " + headDim);
                }
                NDArray kv = weights.layerKeyValues(layout.tableLayer(layer), manager).toType(keys.getDataType(), false)
                        .reshape(weights.virtualTokens(), 2, heads, headDim).transpose(1, 2, 0, 3); // [2, H, n, d]
                prefixKeys.add(kv.get("0:1"));
                prefixValues.add(kv.get("1:2"));
            }
            NDArray pk = prefixKeys.size() == 1 ? prefixKeys.get(0) : NDArrays.concat(prefixKeys, 2);
            NDArray pv = prefixValues.size() == 1 ? prefixValues.get(0) : NDArrays.concat(prefixValues, 2);
            ExtendedKeyValues extended = ExtendedKeyValues.prepend(pk, pv, keys, values);
            if (uses.stream().noneMatch(AdapterUse::routed)) {
                return extended; // every row sees every prefix
            }
            VirtualTokenRows rows = rows(uses, shape.get(0), manager);
            NDArray hidden = rows.additiveMask();
            if (hidden == null) {
                return extended;
            }
            // each row counts only the prefix positions it sees, the last at -1 before its own keys
            NDArray shift = rows.shift(DataType.INT64);
            NDArray positions = rows.positions(shift.zerosLike()).sub(shift);
            return new ExtendedKeyValues(extended.keys(), extended.values(), extended.prefixLength(),
                    hidden.toType(keys.getDataType(), false), positions);
        }
    }
}
