package io.github.djladapters.models.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.models.checkpoint.ConfigJson;
import io.github.djladapters.models.checkpoint.ConfigLimits;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code config.json} of a Llama-family model: {@code llama}, {@code mistral} or {@code qwen2}
 * (same architecture; Qwen2 adds biases to q/k/v). Absent keys take Hugging Face's defaults; both
 * {@code rope_theta} and transformers 5's {@code rope_parameters.rope_theta} are read.
 *
 * <pre>{@code
 * LlamaConfig config = LlamaConfig.read(Path.of("TinyLlama/config.json"));
 * }</pre>
 *
 * @param modelType {@code llama}, {@code mistral} or {@code qwen2}
 * @param vocabSize the number of token ids
 * @param hiddenSize the hidden width
 * @param intermediateSize the SwiGLU width
 * @param numHiddenLayers the number of decoder layers
 * @param numAttentionHeads the number of query heads
 * @param numKeyValueHeads the number of key/value heads (grouped-query attention); divides the query heads
 * @param headDim the width of one head ({@code hidden_size / num_attention_heads} when absent)
 * @param rmsNormEps the epsilon of every RMSNorm
 * @param ropeTheta the base of the rotary frequencies
 * @param qkvBias whether q/k/v projections have biases ({@code attention_bias}; always for qwen2)
 * @param outputBias whether {@code o_proj} has a bias ({@code attention_bias} for llama)
 * @param mlpBias whether the MLP projections have biases ({@code mlp_bias})
 * @param tieWordEmbeddings whether the LM head reuses {@code embed_tokens}
 * @param bosTokenId the beginning-of-sequence token, or -1
 * @param eosTokenIds the end-of-sequence tokens (config.json may give one or a list)
 * @param padTokenId the padding token, or -1
 */
public record LlamaConfig(String modelType, int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta,
        boolean qkvBias, boolean outputBias, boolean mlpBias, boolean tieWordEmbeddings, int bosTokenId,
        Set<Integer> eosTokenIds, int padTokenId) {

    private static final Set<String> TYPES = Set.of("llama", "mistral", "qwen2");

    /** Checks the sizes. */
    public LlamaConfig {
        if (!TYPES.contains(modelType)) {
            throw new IllegalArgumentException("model_type '" + modelType + "' is not one of " + TYPES);
        }
        ConfigLimits.check("vocab_size", vocabSize, 1, ConfigLimits.MAX_VOCAB);
        ConfigLimits.check("hidden_size", hiddenSize, 1, ConfigLimits.MAX_WIDTH);
        ConfigLimits.check("intermediate_size", intermediateSize, 1, ConfigLimits.MAX_FEED_FORWARD);
        ConfigLimits.check("num_hidden_layers", numHiddenLayers, 1, ConfigLimits.MAX_LAYERS);
        ConfigLimits.check("num_attention_heads", numAttentionHeads, 1, ConfigLimits.MAX_WIDTH);
        ConfigLimits.check("num_key_value_heads", numKeyValueHeads, 1, numAttentionHeads);
        ConfigLimits.check("head_dim", headDim, 2, ConfigLimits.MAX_WIDTH);
        ConfigLimits.check("rms_norm_eps", rmsNormEps, Double.MIN_VALUE, 1);
        ConfigLimits.check("rope_theta", ropeTheta, Double.MIN_VALUE, Double.MAX_VALUE);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads
                    + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " must be even for rotary embeddings");
        }
        eosTokenIds = Set.copyOf(eosTokenIds);
    }

    /**
     * The number of parameters of the model this config describes.
     *
     * @return the count
     */
    public long parameterCount() {
        long h = hiddenSize;
        long q = (long) numAttentionHeads * headDim;
        long kv = (long) numKeyValueHeads * headDim;
        long layer = h * q + 2 * h * kv + q * h + 3 * h * intermediateSize + 2 * h;
        return (long) vocabSize * h * (tieWordEmbeddings ? 1 : 2) + numHiddenLayers * layer + h;
    }

    /**
     * Reads a config.json.
     *
     * @param file the path of config.json
     * @return the config
     * @throws IOException when the file cannot be read or is not a supported config (the message names it)
     */
    public static LlamaConfig read(Path file) throws IOException {
        return ConfigJson.read(file, "Llama/Mistral/Qwen2", LlamaConfig::parse);
    }

    /**
     * Reads a parsed config.json.
     *
     * @param json the JSON object
     * @return the config
     * @throws IllegalArgumentException when a key has an unsupported value
     */
    public static LlamaConfig parse(JsonNode json) {
        String type = json.path("model_type").asText("llama");
        int hidden = json.path("hidden_size").asInt(4096);
        int heads = json.path("num_attention_heads").asInt(32);
        JsonNode rope = json.path("rope_parameters");
        JsonNode scaling = rope.isObject() ? rope : json.path("rope_scaling");
        String ropeType = scaling.path("rope_type").asText(scaling.path("type").asText("default"));
        if (!ropeType.equals("default")) {
            throw new IllegalArgumentException("rope type '" + ropeType + "' is not supported; only default RoPE");
        }
        String act = json.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException("hidden_act '" + act + "' is not supported; only silu (SwiGLU)");
        }
        double theta = rope.path("rope_theta").asDouble(json.path("rope_theta").asDouble(10000.0));
        boolean attentionBias = json.path("attention_bias").asBoolean(false);
        boolean qwen = type.equals("qwen2");
        JsonNode headDim = json.path("head_dim");
        return new LlamaConfig(type, json.path("vocab_size").asInt(32000), hidden,
                json.path("intermediate_size").asInt(11008), json.path("num_hidden_layers").asInt(32), heads,
                json.path("num_key_value_heads").isNumber() ? json.get("num_key_value_heads").asInt() : heads,
                headDim.isNumber() ? headDim.asInt() : heads > 0 ? hidden / heads : 0,
                json.path("rms_norm_eps").asDouble(1e-6), theta,
                qwen || attentionBias, !qwen && attentionBias, json.path("mlp_bias").asBoolean(false),
                json.path("tie_word_embeddings").asBoolean(false), json.path("bos_token_id").asInt(-1),
                tokenSet(json.path("eos_token_id")), json.path("pad_token_id").asInt(-1));
    }

    /**
     * Writes this config as config.json text with Hugging Face's keys.
     *
     * @return JSON text
     */
    public String toJson() {
        ObjectNode json = ConfigJson.object();
        json.put("model_type", modelType).put("vocab_size", vocabSize).put("hidden_size", hiddenSize)
                .put("intermediate_size", intermediateSize).put("num_hidden_layers", numHiddenLayers)
                .put("num_attention_heads", numAttentionHeads).put("num_key_value_heads", numKeyValueHeads)
                .put("head_dim", headDim).put("hidden_act", "silu").put("rms_norm_eps", rmsNormEps)
                .put("rope_theta", ropeTheta).put("mlp_bias", mlpBias)
                .put("tie_word_embeddings", tieWordEmbeddings).put("bos_token_id", bosTokenId)
                .put("pad_token_id", padTokenId);
        if (!modelType.equals("qwen2")) {
            json.put("attention_bias", qkvBias);
        }
        List<Integer> eos = new ArrayList<>(eosTokenIds);
        eos.sort(null);
        json.set("eos_token_id", ConfigJson.MAPPER.valueToTree(eos));
        return ConfigJson.write(json);
    }

    private static Set<Integer> tokenSet(JsonNode node) {
        List<Integer> tokens = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(t -> tokens.add(t.asInt()));
        } else if (node.isNumber()) {
            tokens.add(node.asInt());
        }
        return Set.copyOf(tokens);
    }
}
