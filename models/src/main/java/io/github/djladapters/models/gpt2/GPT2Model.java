package io.github.djladapters.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.EmbeddingsOutputModel.EmbeddingsOutput;
import io.github.djladapters.runtime.architecture.ModelInputs;
import io.github.djladapters.runtime.architecture.RealTokens;
import io.github.djladapters.annotations.Embeddings;
import io.github.djladapters.annotations.Layers;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.models.blocks.LayerNorm;
import io.github.djladapters.models.generation.CausalAttentionMask;
import io.github.djladapters.models.generation.DecoderModel;
import io.github.djladapters.models.generation.DecoderStack;
import io.github.djladapters.models.generation.KeyValueCache;
import io.github.djladapters.runtime.architecture.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * The GPT-2 transformer ({@code transformer} in {@code GPT2LMHeadModel}): {@code wte}, {@code wpe},
 * blocks {@code h.N} and the final {@code ln_f}. Its {@link Block#forward} takes
 * {@code input_ids [B, T]} and optionally {@code attention_mask} and {@code position_ids}, and
 * returns the final hidden states {@code [B, T, H]}.
 */
public final class GPT2Model extends DecoderModel {

    @Embeddings Block wte;
    Block wpe;
    @Layers List<GPT2Block> h;
    Block ln_f;

    private EmbeddingsOutput embeddingsOutput;

    /**
     * An uninitialised transformer.
     *
     * @param config the architecture
     */
    public GPT2Model(GPT2Config config) {
        super(config.nEmbd());
        wte = addTokenTable("wte", config.vocabSize());
        wpe = addChildBlock("wpe", new Embedding(config.nPositions(), config.nEmbd()));
        List<GPT2Block> blocks = new ArrayList<>();
        for (int i = 0; i < config.nLayer(); i++) {
            blocks.add(new GPT2Block(config, i));
        }
        h = addLayers("h", blocks);
        ln_f = addFinalNorm("ln_f", new LayerNorm(config.nEmbd(), config.layerNormEpsilon()));
    }

    /** Adds the learned position embeddings {@code wpe} to the token embeddings. */
    @Override
    protected NDArray layerInputs(ParameterStore ps, ModelInputs in, NDList shared, boolean training,
            PairList<String, Object> params) {
        NDArray first = in.embeddings().add(wpe.forward(ps, new NDList(in.positionIds()), training, params).head());
        return embeddingsOutput == null ? first : embeddingsOutput.apply(ps, first, training);
    }

    /** The hook on the embeddings output (token plus position embeddings), or null; see {@link GPT2LMHeadModel}. */
    void setEmbeddingsOutput(EmbeddingsOutput hook) {
        embeddingsOutput = hook;
    }

    EmbeddingsOutput embeddingsOutput() {
        return embeddingsOutput;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        super.initializeChildBlocks(manager, dataType, inputShapes);
        wpe.initialize(manager, dataType, new Shape(1, 1));
    }
}
