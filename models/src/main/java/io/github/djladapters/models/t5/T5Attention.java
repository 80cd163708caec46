package io.github.djladapters.models.t5;

import io.github.djladapters.runtime.engine.ArrayValues;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.KProj;
import io.github.djladapters.annotations.OProj;
import io.github.djladapters.annotations.QProj;
import io.github.djladapters.annotations.VProj;
import io.github.djladapters.models.blocks.DotProductAttention;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.models.blocks.KeyValueAttentionBlock;
import io.github.djladapters.models.generation.DecoderLayerInputs;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.architecture.AttentionHeads;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * T5 multi-head attention ({@code SelfAttention} or {@code EncDecAttention}): bias-free {@code q},
 * {@code k}, {@code v}, {@code o} and, in block 0's self-attention only,
 * {@code relative_attention_bias} ({@code [num_buckets, num_heads]}). Scores are not divided by
 * {@code sqrt(d_kv)}: T5 folds that factor into its initialisation. The relative position bias
 * arrives already added to the additive mask, so every layer of a stack reuses block 0's bias.
 *
 * <p>Self-attention inputs: hidden states {@code [B, T, d_model]}, the bias {@code [B or 1, heads, T,
 * P + T]}, and optionally cached keys and values {@code [B, heads, P, d_kv]}. Cross-attention
 * inputs: hidden states, the encoder padding bias {@code [B, 1, 1, S]}, and the keys and values of
 * the encoder output from {@link #keyValues}. Outputs: the attention output, then the keys and
 * values attended to.
 *
 * <p>It implements {@link KeyValueAttention} so that the shared {@link DotProductAttention} serves it
 * as it serves the decoders. Prefix tuning prepends keys and values to the decoder's self-attention
 * ({@link T5ForConditionalGeneration} declares it); T5 has no absolute positions to move, so this
 * block places the prepended keys itself ({@link #placesPrependedKeys}): as in transformers, where
 * the prefix sits in the cache before the real tokens, each prepended key gets the relative position
 * bias of its distance from the query, from the stack's shared {@code relative_attention_bias}.
 */
public final class T5Attention extends KeyValueAttentionBlock {

    @QProj Block q;
    @KProj Block k;
    @VProj Block v;
    @OProj Block o;
    Embedding relative_attention_bias;

    private final boolean cross;
    private final int dModel;
    private final int heads;
    private final int inner;
    private final RelativePositionBuckets buckets;
    /** The stack's relative position bias (block 0's), for prepended keys; null until the stack shares it. */
    private Embedding positionBias;
    private RelativePositionBuckets positionBuckets;

    /**
     * An attention block.
     *
     * @param config the architecture
     * @param cross whether this is the decoder's cross-attention over the encoder output
     * @param relativeBias whether this block owns the stack's relative position bias (block 0's
     *     self-attention)
     * @param bidirectional whether its positions are bucketed in both directions (the encoder)
     */
    T5Attention(T5Config config, boolean cross, boolean relativeBias, boolean bidirectional) {
        super(config.numHeads(), config.innerDim() / config.numHeads());
        this.cross = cross;
        dModel = config.dModel();
        heads = config.numHeads();
        inner = config.innerDim();
        q = addChildBlock("q", linear(inner));
        k = addChildBlock("k", linear(inner));
        v = addChildBlock("v", linear(inner));
        o = addChildBlock("o", linear(dModel));
        if (relativeBias) {
            relative_attention_bias = addChildBlock("relative_attention_bias",
                    new Embedding(config.relativeAttentionNumBuckets(), heads));
            buckets = new RelativePositionBuckets(bidirectional, config.relativeAttentionNumBuckets(),
                    config.relativeAttentionMaxDistance());
        } else {
            buckets = null;
        }
    }

    /**
     * Takes the stack's relative position bias, which block 0's self-attention owns, for prepended keys.
     *
     * @param owner block 0's self-attention
     */
    void sharePositionBias(T5Attention owner) {
        positionBias = owner.relative_attention_bias;
        positionBuckets = owner.buckets;
    }

    @Override
    public boolean placesPrependedKeys() {
        return true;
    }

    /**
     * Applies the installed extension and adds, for self-attention, the relative position bias of the
     * prepended keys to their mask.
     */
    @Override
    public ExtendedKeyValues extendKeyValues(NDArray query, NDArray keys, NDArray values) {
        ExtendedKeyValues kv = super.extendKeyValues(query, keys, values);
        if (kv.prefixLength() == 0 || cross) {
            return kv; // cross-attention has no position bias
        }
        if (positionBias == null) {
            throw new IllegalStateException("this T5 attention block has no relative position bias to place "
                    + "prepended keys with; its stack shares block 0's");
        }
        long queries = query.getShape().get(2);
        NDArray bias = prependedKeyBias(kv.prependedPositions(), keys.getShape().get(2) - queries, queries)
                .toType(keys.getDataType(), false);
        NDArray mask = kv.prefixMask() == null ? bias : bias.add(kv.prefixMask());
        return new ExtendedKeyValues(kv.keys(), kv.values(), kv.prefixLength(), mask, kv.prefixPositions());
    }

    /**
     * The relative position bias of prepended keys, as transformers computes it for keys that sit in
     * the cache before the real tokens: key at {@code positions[r, p]} (before the first real token,
     * so negative), query {@code t} at {@code first + t}.
     *
     * @param positions {@code [1 or B, P]} int64
     * @param first the position of the first query (the cached real tokens)
     * @param queries the number of queries
     * @return {@code [1 or B, heads, queries, P]}
     */
    private NDArray prependedKeyBias(NDArray positions, long first, long queries) {
        NDManager manager = positions.getManager();
        int max = positionBuckets.maxDistance();
        NDArray queryPositions = manager.arange(first, first + queries, 1L, DataType.INT64).reshape(1, queries, 1);
        // positions beyond +-max share the end buckets: clamp, then look the bias up per relative position
        NDArray relative = positions.expandDims(1).sub(queryPositions).clip(-max, max).add(max); // [R, T, P]
        NDArray perPosition = ai.djl.nn.core.Embedding.embedding(manager.create(positionBuckets.clampedTable()),
                positionBias.weight().getArray(), SparseFormat.DENSE).head(); // [2 max + 1, heads]
        NDArray bias = ai.djl.nn.core.Embedding.embedding(relative, perPosition, SparseFormat.DENSE).head();
        return bias.transpose(0, 3, 1, 2);
    }

    /** A bias-free projection, as every T5 linear layer. */
    static Linear linear(int units) {
        return new FlatLinear(units, false);
    }

    /**
     * The relative position bias of {@code queryLength} queries, the first at position
     * {@code offset}, over keys at positions {@code 0 .. keyLength - 1}.
     *
     * @param ps the parameter store
     * @param manager where the bucket ids are created
     * @param queryLength the number of queries
     * @param keyLength the number of keys
     * @param offset the position of the first query (the cache length)
     * @param training whether this is a training pass
     * @return {@code [1, heads, queryLength, keyLength]}
     * @throws IllegalStateException when this block has no {@code relative_attention_bias}
     */
    NDArray positionBias(ParameterStore ps, NDManager manager, int queryLength, int keyLength, int offset,
            boolean training) {
        if (relative_attention_bias == null) {
            throw new IllegalStateException("only block 0's self-attention has relative_attention_bias");
        }
        NDArray ids = ArrayValues.owned( // the embedding backward keeps the ids
                manager.create(buckets.table(queryLength, keyLength, offset), new Shape(queryLength, keyLength)));
        NDArray values = relative_attention_bias.forward(ps, new NDList(ids), training).head(); // [T, S, heads]
        return values.transpose(2, 0, 1).expandDims(0);
    }

    /**
     * The relative position bias for sequences whose rows number their positions themselves (prompt
     * tuning in a batch routed per row, where a row does not count the virtual tokens of adapters it
     * does not use): query {@code i} and key {@code j} of row {@code b} are {@code positions[b, j] -
     * positions[b, i]} apart.
     *
     * @param ps the parameter store
     * @param positions {@code [B, S]} int64
     * @param training whether this is a training pass
     * @return {@code [B, heads, S, S]}
     * @throws IllegalStateException when this block has no {@code relative_attention_bias}
     */
    NDArray rowPositionBias(ParameterStore ps, NDArray positions, boolean training) {
        if (relative_attention_bias == null) {
            throw new IllegalStateException("only block 0's self-attention has relative_attention_bias");
        }
        NDManager manager = positions.getManager();
        int max = buckets.maxDistance();
        // distances beyond +-max share the end buckets: clamp, then look the bucket up per distance
        NDArray relative = positions.expandDims(1).sub(positions.expandDims(2)).clip(-max, max).add(max); // [B, S, S]
        NDArray table = ArrayValues.owned(manager.create(buckets.clampedTable()));
        NDArray ids = table.get(relative.flatten()).reshape(relative.getShape());
        NDArray values = relative_attention_bias.forward(ps, new NDList(ids), training).head(); // [B, S, S, heads]
        return values.transpose(0, 3, 1, 2);
    }

    /**
     * Projects the keys and values of a cross-attention source once, to be reused at every step.
     *
     * @param ps the parameter store
     * @param source the encoder output {@code [B, S, d_model]}
     * @param training whether this is a training pass
     * @param params passed through to the projections
     * @return keys and values, each {@code [B, heads, S, d_kv]}
     */
    NDList keyValues(ParameterStore ps, NDArray source, boolean training, PairList<String, Object> params) {
        NDList in = new NDList(source);
        NDArray keys = AttentionHeads.split(k.forward(ps, in, training, params).head(), heads);
        NDArray values = AttentionHeads.split(v.forward(ps, in, training, params).head(), heads);
        return new NDList(keys, values);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.get(0));
        NDArray query = AttentionHeads.split(q.forward(ps, x, training, params).head(), heads);
        NDArray keys;
        NDArray values;
        if (cross) {
            keys = inputs.get(2);
            values = inputs.get(3);
        } else {
            DecoderLayerInputs in = DecoderLayerInputs.of(inputs, 0);
            NDList own = keyValues(ps, in.hidden(), training, params);
            keys = in.withCachedKeys(own.get(0));
            values = in.withCachedValues(own.get(1));
        }
        return attend(ps, o, query, keys, values, inputs.get(1), 1f, training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = new Shape(1, dModel);
        q.initialize(manager, dataType, in);
        k.initialize(manager, dataType, in);
        v.initialize(manager, dataType, in);
        o.initialize(manager, dataType, new Shape(1, inner));
        if (relative_attention_bias != null) {
            relative_attention_bias.initialize(manager, dataType, new Shape(1, 1));
        }
    }
}
