package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueExtension;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.runtime.engine.Scalars;
import io.github.djladapters.annotations.KProj;
import io.github.djladapters.annotations.QProj;
import io.github.djladapters.annotations.VProj;
import io.github.djladapters.models.kernels.AttentionKernel;
import io.github.djladapters.runtime.architecture.AttentionHeads;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * Multi-head scaled dot-product attention of one BERT layer ({@code attention.self}): children
 * {@code query}, {@code key} and {@code value}. Inputs: hidden states {@code [B, T, H]} and an
 * additive mask {@code [B, 1, 1, T]} (0 for tokens, a large negative number for padding). Output:
 * the context {@code [B, T, H]}, before the output projection.
 *
 * <p>The attention itself runs in PyTorch's fused {@code scaled_dot_product_attention} where
 * {@link AttentionKernel} applies, else written out as matmul, softmax, dropout, matmul. Training with
 * attention dropout on the CPU runs written out, with the mask drawn by {@link DropoutMask} (the
 * kernel's dropout takes libtorch's slower math path); with {@code DropoutMask} switched off the kernel
 * draws the dropout itself.
 */
public final class BertSelfAttention extends AbstractBlock {

    @QProj Block query;
    @KProj Block key;
    @VProj Block value;

    private final int hidden;
    private final int heads;
    private final float dropout;
    KeyValueExtension extension; // set through the enclosing BertAttention (prefix tuning)

    BertSelfAttention(BertConfig config) {
        hidden = config.hiddenSize();
        heads = config.numAttentionHeads();
        dropout = config.attentionProbsDropoutProb();
        query = addChildBlock("query", new FlatLinear(hidden, true));
        key = addChildBlock("key", new FlatLinear(hidden, true));
        value = addChildBlock("value", new FlatLinear(hidden, true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray maskBias = inputs.get(1);
        NDArray q = AttentionHeads.split(query.forward(ps, new NDList(x), training, params).head(), heads);
        NDArray k = AttentionHeads.split(key.forward(ps, new NDList(x), training, params).head(), heads);
        NDArray v = AttentionHeads.split(value.forward(ps, new NDList(x), training, params).head(), heads);
        if (extension != null) {
            ExtendedKeyValues kv = extension.extend(q, k, v);
            k = kv.keys();
            v = kv.values();
            maskBias = kv.attentionMask(maskBias);
        }
        float scale = (float) (1.0 / Math.sqrt((double) hidden / heads));
        // With dropout in training, libtorch 2.7.1's kernel takes its math path (softmax through
        // _safe_softmax, three more passes over the weights, and libtorch's serial Bernoulli draw);
        // written out, the same math runs with the mask drawn by DropoutMask.
        boolean dropping = training && dropout > 0 && DropoutMask.drawsFor(q);
        NDArray context = !dropping && AttentionKernel.applies(q, k, v, maskBias)
                ? AttentionKernel.attend(q, k, v, maskBias, training ? dropout : 0f, scale)
                : writtenOut(q, k, v, maskBias, scale, training);
        Shape shape = x.getShape();
        return new NDList(context.transpose(0, 2, 1, 3).reshape(shape.get(0), shape.get(1), hidden));
    }

    /** {@code dropout(softmax(q k^T scale + mask)) v} in DJL ops: {@code [B, heads, T, head]}. */
    private NDArray writtenOut(NDArray q, NDArray k, NDArray v, NDArray maskBias, float scale, boolean training) {
        // in place: the product is this call's own and its backward does not read it
        NDArray scores = Scalars.mul(q, scale).matMul(k.transpose(0, 1, 3, 2)).addi(maskBias);
        NDArray probs = scores.softmax(-1);
        if (training && dropout > 0) {
            probs = DropoutMask.apply(probs, dropout);
        }
        return probs.matMul(v);
    }

    int heads() {
        return heads;
    }

    int headDim() {
        return hidden / heads;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, hidden);
        query.initialize(manager, dataType, in);
        key.initialize(manager, dataType, in);
        value.initialize(manager, dataType, in);
    }
}
