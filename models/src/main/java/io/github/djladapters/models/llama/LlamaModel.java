package io.github.djladapters.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.ModelInputs;
import io.github.djladapters.runtime.architecture.RealTokens;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.models.blocks.RmsNorm;
import io.github.djladapters.models.generation.CausalAttentionMask;
import io.github.djladapters.models.generation.DecoderModel;
import io.github.djladapters.models.generation.DecoderStack;
import io.github.djladapters.models.generation.KeyValueCache;
import io.github.djladapters.runtime.architecture.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * The Llama-family decoder ({@code model} in {@code LlamaForCausalLM}): {@code embed_tokens},
 * layers {@code layers.N} and the final {@code norm}; rotary tables are computed from the position
 * ids. Its {@link Block#forward} takes {@code input_ids [B, T]} and optionally
 * {@code attention_mask} and {@code position_ids}, and returns the final hidden states
 * {@code [B, T, H]}.
 */
public final class LlamaModel extends DecoderModel {

    @Embeddings Block embed_tokens;
    @Layers List<LlamaDecoderLayer> layers;
    Block norm;

    private final RotaryEmbedding rotary;

    /**
     * An uninitialised decoder.
     *
     * @param config the architecture
     */
    public LlamaModel(LlamaConfig config) {
        super(config.hiddenSize());
        rotary = new RotaryEmbedding(config.headDim(), config.ropeTheta());
        embed_tokens = addTokenTable("embed_tokens", config.vocabSize());
        List<LlamaDecoderLayer> blocks = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            blocks.add(new LlamaDecoderLayer(config));
        }
        layers = addLayers("layers", blocks);
        norm = addFinalNorm("norm", new RmsNorm(config.hiddenSize(), config.rmsNormEps()));
    }

    /** The rotary tables' source, for the fused decode step. */
    RotaryEmbedding rotary() {
        return rotary;
    }

    /** Every layer also reads the rotary {@code cos} and {@code sin} tables of the positions and the half-rotation matrix. */
    @Override
    protected NDArray layerInputs(ParameterStore ps, ModelInputs in, NDList shared, boolean training,
            PairList<String, Object> params) {
        shared.addAll(rotary.tables(in.positionIds()));
        return in.embeddings();
    }
}
