package io.github.djladapters.runtime.methods.adaptionprompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.KeyValueExtension;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.engine.Scalars;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterHook;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.architecture.AttentionHeads;
import io.github.djladapters.runtime.methods.ParameterTensors;
import java.util.List;
import java.util.Map;

/**
 * The adaption prompts of one attention block, PEFT's {@code AdaptedAttention}: each active prompt
 * goes through the block's own key and value projections (a fused q/k/v projection is split),
 * key/value heads are repeated for grouped-query attention, the block's (rotated) queries attend to
 * the prompt positions alone with a float32 softmax, and the gated result is added to the block's
 * attention. With separate projections it is added to the per-head context, so it passes through
 * the output projection (PEFT's Llama path); with a fused q/k/v projection it is added to the
 * block's output after the projection, unprojected, as PEFT does for GPT-2. The prompts are
 * independent of the sequence, so a key/value cache needs nothing from them.
 */
final class AdaptionPromptHook extends AdapterHook<AdaptionPromptWeights> implements KeyValueExtension {

    private final KeyValueAttention attention;
    private final BoundModel model;
    private final int layer;
    private final boolean fused;

    AdaptionPromptHook(KeyValueAttention attention, BoundModel model, int layer, AdapterActivation activation) {
        super(model.modulePath(layer, Site.SELF_ATTENTION), activation);
        this.attention = attention;
        this.model = model;
        this.layer = layer;
        this.fused = model.sites().contains(Site.QKV_PROJ);
    }

    @Override
    protected void installHook() {
        attention.setKeyValueExtension(this);
    }

    @Override
    protected void uninstallHook() {
        attention.setKeyValueExtension(null);
    }

    @Override
    public ExtendedKeyValues extend(NDArray query, NDArray keys, NDArray values) {
        return ExtendedKeyValues.unchanged(keys, values);
    }

    @Override
    public NDArray extendContext(NDArray query, NDArray context) {
        if (fused) {
            return context;
        }
        NDArray added = promptContext(query);
        return added == null ? context : context.add(added);
    }

    @Override
    public NDArray extendOutput(NDArray query, NDArray output) {
        if (!fused) {
            return output;
        }
        NDArray added = promptContext(query);
        if (added == null) {
            return output;
        }
        Shape q = query.getShape();
        return output.add(added.transpose(0, 2, 1, 3).reshape(q.get(0), q.get(2), q.get(1) * q.get(3)));
    }

    /** The gated attention over every active prompt, {@code [batch, heads, querySeq, headDim]}; null for none. */
    private NDArray promptContext(NDArray query) {
        List<AdapterUse<AdaptionPromptWeights>> uses = uses();
        if (uses.isEmpty()) {
            return null;
        }
        NDManager caller = query.getManager();
        long heads = query.getShape().get(1);
        long headDim = query.getShape().get(3);
        NDArray sum = null;
        for (AdapterUse<AdaptionPromptWeights> use : uses) {
            NDArray promptValues = use.adapter().prompt.getArray();
            // an addition to zeros made here puts the prompt in the caller's manager and keeps its gradient
            NDArray prompt = caller.zeros(promptValues.getShape(), promptValues.getDataType(), query.getDevice())
                    .add(promptValues);
            NDArray[] keyValues = keysAndValues(prompt);
            long kvHeads = keyValues[0].getShape().get(2) / headDim;
            NDArray keys = AttentionHeads.repeat(AttentionHeads.split(keyValues[0], kvHeads), heads);
            NDArray values = AttentionHeads.repeat(AttentionHeads.split(keyValues[1], kvHeads), heads);
            NDArray scores = Scalars.mul(query.matMul(keys.transpose(0, 1, 3, 2)), 1 / Math.sqrt(headDim));
            NDArray probabilities = scores.getDataType() == DataType.FLOAT32 ? scores.softmax(-1)
                    : scores.toType(DataType.FLOAT32, false).softmax(-1).toType(scores.getDataType(), false);
            NDArray context = use.onRows(probabilities.mul(use.adapter().gate.getArray()).matMul(values));
            sum = sum == null ? context : sum.add(context);
        }
        return sum;
    }

    /** The prompt through the block's key and value projections, each {@code [1, len, kvHeads * headDim]}. */
    private NDArray[] keysAndValues(NDArray prompt) {
        ParameterStore store = new ParameterStore(prompt.getManager(), false);
        NDList input = new NDList(prompt);
        if (fused) {
            NDArray qkv = model.block(layer, Site.QKV_PROJ).forward(store, input, false).head();
            int[] sizes = model.qkvSplit(Site.QKV_PROJ).sizes(qkv.getShape().get(2));
            NDList parts = qkv.split(new long[] {sizes[0], sizes[0] + sizes[1]}, 2);
            return new NDArray[] {parts.get(1), parts.get(2)};
        }
        return new NDArray[] {model.block(layer, Site.K_PROJ).forward(store, input, false).head(),
            model.block(layer, Site.V_PROJ).forward(store, input, false).head()};
    }

    @Override
    public Map<String, NDArray> exportTensors(String name, NDManager manager) {
        return ParameterTensors.copies(adapter(name).namedParameters(), "", manager);
    }

    @Override
    public Map<String, Shape> tensorShapes(String name) {
        return ParameterTensors.shapes(adapter(name).namedParameters(), "");
    }

    @Override
    public void importTensor(String name, String suffix, NDArray value) {
        ParameterTensors.overwrite(adapter(name).namedParameters(), suffix, value,
                "adaption prompt '" + name + "' at '" + modulePath() + "'");
    }
}
