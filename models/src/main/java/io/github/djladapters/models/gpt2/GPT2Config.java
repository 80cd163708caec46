package io.github.djladapters.models.gpt2;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.djladapters.models.checkpoint.ConfigJson;
import io.github.djladapters.models.checkpoint.ConfigLimits;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@code config.json} of a Hugging Face GPT-2 model, with Hugging Face's field names and
 * defaults for absent keys ({@code GPT2Config}). Unknown keys are ignored.
 *
 * <pre>{@code
 * GPT2Config config = GPT2Config.read(Path.of("gpt2/config.json"));
 * }</pre>
 *
 * @param modelType must be {@code gpt2}
 * @param vocabSize the number of token ids
 * @param nPositions the number of learned positions
 * @param nEmbd the hidden width
 * @param nLayer the number of blocks
 * @param nHead the number of attention heads; divides {@code nEmbd}
 * @param nInner the MLP width; {@code 4 * nEmbd} when absent
 * @param activationFunction {@code gelu_new} (tanh approximation), {@code gelu_pytorch_tanh},
 *     {@code gelu} (erf) or {@code relu}
 * @param layerNormEpsilon the epsilon of every layer norm
 * @param scaleAttnWeights whether scores are divided by {@code sqrt(headDim)}
 * @param scaleAttnByInverseLayerIdx whether scores of layer {@code i} are also divided by {@code i + 1}
 * @param tieWordEmbeddings whether the LM head reuses {@code wte} (GPT-2 always does)
 * @param bosTokenId the beginning-of-text token
 * @param eosTokenId the end-of-text token
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GPT2Config(
        @JsonProperty("model_type") String modelType,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("n_positions") int nPositions,
        @JsonProperty("n_embd") int nEmbd,
        @JsonProperty("n_layer") int nLayer,
        @JsonProperty("n_head") int nHead,
        @JsonProperty("n_inner") Integer nInner,
        @JsonProperty("activation_function") String activationFunction,
        @JsonProperty("layer_norm_epsilon") double layerNormEpsilon,
        @JsonProperty("scale_attn_weights") Boolean scaleAttnWeights,
        @JsonProperty("scale_attn_by_inverse_layer_idx") boolean scaleAttnByInverseLayerIdx,
        @JsonProperty("tie_word_embeddings") Boolean tieWordEmbeddings,
        @JsonProperty("bos_token_id") Integer bosTokenId,
        @JsonProperty("eos_token_id") Integer eosTokenId) {

    /** Fills Hugging Face defaults for absent keys and checks the sizes. */
    public GPT2Config {
        modelType = modelType == null ? "gpt2" : modelType;
        vocabSize = vocabSize == 0 ? 50257 : vocabSize;
        nPositions = nPositions == 0 ? 1024 : nPositions;
        nEmbd = nEmbd == 0 ? 768 : nEmbd;
        nLayer = nLayer == 0 ? 12 : nLayer;
        nHead = nHead == 0 ? 12 : nHead;
        nInner = nInner == null ? 4 * nEmbd : nInner;
        activationFunction = activationFunction == null ? "gelu_new" : activationFunction;
        layerNormEpsilon = layerNormEpsilon == 0 ? 1e-5 : layerNormEpsilon;
        scaleAttnWeights = scaleAttnWeights == null || scaleAttnWeights;
        tieWordEmbeddings = tieWordEmbeddings == null || tieWordEmbeddings;
        bosTokenId = bosTokenId == null ? 50256 : bosTokenId;
        eosTokenId = eosTokenId == null ? 50256 : eosTokenId;
        if (!modelType.equals("gpt2")) {
            throw new IllegalArgumentException("model_type '" + modelType + "' is not gpt2");
        }
        ConfigLimits.check("vocab_size", vocabSize, 1, ConfigLimits.MAX_VOCAB);
        ConfigLimits.check("n_positions", nPositions, 1, ConfigLimits.MAX_POSITIONS);
        ConfigLimits.check("n_embd", nEmbd, 1, ConfigLimits.MAX_WIDTH);
        ConfigLimits.check("n_layer", nLayer, 1, ConfigLimits.MAX_LAYERS);
        ConfigLimits.check("n_head", nHead, 1, nEmbd);
        ConfigLimits.check("n_inner", nInner, 1, ConfigLimits.MAX_FEED_FORWARD);
        ConfigLimits.check("layer_norm_epsilon", layerNormEpsilon, Double.MIN_VALUE, 1);
        ConfigLimits.multiple("n_embd", nEmbd, "n_head", nHead);
        if (!tieWordEmbeddings) {
            throw new IllegalArgumentException("GPT-2 with untied word embeddings is not supported");
        }
        GPT2MLP.activation(activationFunction); // fails early on an unknown activation
    }

    /**
     * Reads a config.json.
     *
     * @param file the path of config.json
     * @return the config
     * @throws IOException when the file cannot be read or is not a valid GPT-2 config (the message names it)
     */
    public static GPT2Config read(Path file) throws IOException {
        return ConfigJson.read(file, "GPT-2", json -> ConfigJson.MAPPER.treeToValue(json, GPT2Config.class));
    }

    /**
     * Writes this config as config.json text.
     *
     * @return JSON text
     */
    public String toJson() {
        return ConfigJson.write(this);
    }

    /**
     * The number of parameters of the model this config describes.
     *
     * @return the count
     */
    public long parameterCount() {
        long h = nEmbd;
        long layer = 3 * h * h + 3 * h + h * h + h + 2 * h * nInner + nInner + h + 4 * h;
        return (long) vocabSize * h + (long) nPositions * h + nLayer * layer + 2 * h;
    }

    /**
     * The width of one attention head.
     *
     * @return {@code nEmbd / nHead}
     */
    public int headDim() {
        return nEmbd / nHead;
    }
}
