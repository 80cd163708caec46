package io.github.djladapters.models.t5;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.models.checkpoint.ConfigJson;
import io.github.djladapters.models.checkpoint.ConfigLimits;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code config.json} of a Hugging Face T5 model ({@code T5Config}): T5 v1.0 ({@code relu}
 * feed-forward, tied embeddings) and T5 v1.1 / FLAN-T5 ({@code gated-gelu}, untied LM head). Absent
 * keys take Hugging Face's defaults.
 *
 * <pre>{@code
 * T5Config config = T5Config.read(Path.of("flan-t5-small/config.json"));
 * }</pre>
 *
 * @param vocabSize the number of token ids ({@code vocab_size})
 * @param dModel the hidden width ({@code d_model})
 * @param dKv the width of one attention head ({@code d_kv}); heads times it need not equal {@code d_model}
 * @param dFf the feed-forward width ({@code d_ff})
 * @param numLayers the number of encoder blocks ({@code num_layers})
 * @param numDecoderLayers the number of decoder blocks ({@code num_decoder_layers}, {@code num_layers}
 *     when absent)
 * @param numHeads the number of attention heads ({@code num_heads})
 * @param relativeAttentionNumBuckets the number of relative position buckets
 * @param relativeAttentionMaxDistance the distance from which all positions share the last bucket
 * @param layerNormEpsilon the epsilon of every T5 layer norm
 * @param feedForwardProj {@code relu} ({@code wi}, ReLU, {@code wo}) or {@code gated-gelu}
 *     ({@code wo(gelu_new(wi_0 x) * wi_1 x)})
 * @param tieWordEmbeddings whether the LM head reuses {@code shared} (no {@code lm_head} of its own);
 *     transformers 5.x ties only when the checkpoint has no {@code lm_head.weight} or one equal to
 *     {@code shared.weight}, which {@link T5Models#fromCheckpoint} checks
 * @param scaleDecoderOutputs whether the decoder output is scaled by {@code d_model^-0.5} before the
 *     LM head (transformers 5.x's {@code scale_decoder_outputs}; absent, it is true unless
 *     {@code tie_word_embeddings} is false, as transformers reads older configs)
 * @param decoderStartTokenId the first decoder token of every generation
 * @param padTokenId the padding token
 * @param eosTokenId the end-of-sequence token
 */
public record T5Config(int vocabSize, int dModel, int dKv, int dFf, int numLayers, int numDecoderLayers,
        int numHeads, int relativeAttentionNumBuckets, int relativeAttentionMaxDistance, double layerNormEpsilon,
        String feedForwardProj, boolean tieWordEmbeddings, int decoderStartTokenId, int padTokenId,
        int eosTokenId, boolean scaleDecoderOutputs) {

    private static final Set<String> FEED_FORWARD = Set.of("relu", "gated-gelu");

    /** Checks the values. */
    public T5Config {
        if (!FEED_FORWARD.contains(feedForwardProj)) {
            throw new IllegalArgumentException("feed_forward_proj '" + feedForwardProj + "' is not supported; expected "
                    + "relu or gated-gelu");
        }
        ConfigLimits.check("vocab_size", vocabSize, 1, ConfigLimits.MAX_VOCAB);
        ConfigLimits.check("d_model", dModel, 1, ConfigLimits.MAX_WIDTH);
        ConfigLimits.check("d_kv", dKv, 1, ConfigLimits.MAX_WIDTH);
        ConfigLimits.check("d_ff", dFf, 1, ConfigLimits.MAX_FEED_FORWARD);
        ConfigLimits.check("num_layers", numLayers, 1, ConfigLimits.MAX_LAYERS);
        ConfigLimits.check("num_decoder_layers", numDecoderLayers, 1, ConfigLimits.MAX_LAYERS);
        ConfigLimits.check("num_heads", numHeads, 1, ConfigLimits.MAX_WIDTH);
        ConfigLimits.check("relative_attention_num_buckets", relativeAttentionNumBuckets, 2, ConfigLimits.MAX_POSITIONS);
        ConfigLimits.check("layer_norm_epsilon", layerNormEpsilon, Double.MIN_VALUE, 1);
        if (relativeAttentionNumBuckets < 2) {
            throw new IllegalArgumentException("relative_attention_num_buckets must be at least 2, got "
                    + relativeAttentionNumBuckets);
        }
        if (relativeAttentionMaxDistance < 1) {
            throw new IllegalArgumentException("relative_attention_max_distance must be positive, got "
                    + relativeAttentionMaxDistance);
        }
    }

    /**
     * A config in the pre-5.x reading, where a tied head also means scaled decoder outputs.
     *
     * @param vocabSize see the record
     * @param dModel see the record
     * @param dKv see the record
     * @param dFf see the record
     * @param numLayers see the record
     * @param numDecoderLayers see the record
     * @param numHeads see the record
     * @param relativeAttentionNumBuckets see the record
     * @param relativeAttentionMaxDistance see the record
     * @param layerNormEpsilon see the record
     * @param feedForwardProj see the record
     * @param tieWordEmbeddings the LM head reuses {@code shared} and decoder outputs are scaled
     * @param decoderStartTokenId see the record
     * @param padTokenId see the record
     * @param eosTokenId see the record
     */
    public T5Config(int vocabSize, int dModel, int dKv, int dFf, int numLayers, int numDecoderLayers, int numHeads,
            int relativeAttentionNumBuckets, int relativeAttentionMaxDistance, double layerNormEpsilon,
            String feedForwardProj, boolean tieWordEmbeddings, int decoderStartTokenId, int padTokenId,
            int eosTokenId) {
        this(vocabSize, dModel, dKv, dFf, numLayers, numDecoderLayers, numHeads, relativeAttentionNumBuckets,
                relativeAttentionMaxDistance, layerNormEpsilon, feedForwardProj, tieWordEmbeddings,
                decoderStartTokenId, padTokenId, eosTokenId, tieWordEmbeddings);
    }

    /**
     * This config with the LM head tied to {@code shared} or not, the scaling unchanged.
     *
     * @param tie whether the LM head reuses {@code shared}
     * @return the changed config
     */
    public T5Config withTieWordEmbeddings(boolean tie) {
        return new T5Config(vocabSize, dModel, dKv, dFf, numLayers, numDecoderLayers, numHeads,
                relativeAttentionNumBuckets, relativeAttentionMaxDistance, layerNormEpsilon, feedForwardProj, tie,
                decoderStartTokenId, padTokenId, eosTokenId, scaleDecoderOutputs);
    }

    /**
     * The number of parameters of the encoder-decoder this config describes, its own head included.
     *
     * @return the count
     */
    public long parameterCount() {
        long d = dModel;
        long attention = 4 * d * innerDim();
        long ff = (gatedFeedForward() ? 3 : 2) * d * dFf;
        long encoder = numLayers * (attention + ff + 2 * d);
        long decoder = numDecoderLayers * (2 * attention + ff + 3 * d);
        return (long) vocabSize * d * (tieWordEmbeddings ? 1 : 2) + encoder + decoder + 2 * d;
    }

    /**
     * Whether the feed-forward block is gated ({@code wi_0}, {@code wi_1}, {@code wo}).
     *
     * @return true for {@code gated-gelu}
     */
    public boolean gatedFeedForward() {
        return feedForwardProj.startsWith("gated-");
    }

    /**
     * The transformers name of the feed-forward activation.
     *
     * @return {@code relu}, or {@code gelu_new} for {@code gated-gelu}, as transformers maps it
     */
    public String feedForwardActivation() {
        return gatedFeedForward() ? "gelu_new" : feedForwardProj;
    }

    /**
     * The width of all heads together, {@code num_heads * d_kv}.
     *
     * @return the inner attention width
     */
    public int innerDim() {
        return numHeads * dKv;
    }

    /**
     * Reads a config.json.
     *
     * @param file the path of config.json
     * @return the config
     * @throws IOException when the file cannot be read or is not a supported T5 config (the message names it)
     */
    public static T5Config read(Path file) throws IOException {
        return ConfigJson.read(file, "T5", T5Config::parse);
    }

    /**
     * Reads a parsed config.json.
     *
     * @param json the JSON object
     * @return the config
     * @throws IllegalArgumentException when a key has an unsupported value
     */
    public static T5Config parse(JsonNode json) {
        String type = json.path("model_type").asText("t5");
        if (!type.equals("t5")) {
            throw new IllegalArgumentException("model_type '" + type + "' is not t5");
        }
        int layers = json.path("num_layers").asInt(6);
        JsonNode decoderLayers = json.path("num_decoder_layers");
        boolean tie = json.path("tie_word_embeddings").asBoolean(true);
        String feedForward = json.path("feed_forward_proj").asText("relu");
        JsonNode act = json.path("dense_act_fn"); // written by transformers; must agree with feed_forward_proj
        String expectedAct = feedForward.equals("gated-gelu") ? "gelu_new" : feedForward.replace("gated-", "");
        if (act.isTextual() && !act.asText().equals(expectedAct)) {
            throw new IllegalArgumentException("dense_act_fn '" + act.asText() + "' does not match feed_forward_proj '"
                    + feedForward + "' (expected " + expectedAct + ")");
        }
        // transformers 5.x: scale_decoder_outputs when written, else "tie_word_embeddings is not false"
        JsonNode scale = json.path("scale_decoder_outputs");
        if (!scale.isMissingNode() && !scale.isBoolean()) {
            throw new IllegalArgumentException("scale_decoder_outputs must be true or false, got " + scale);
        }
        boolean scaled = scale.isBoolean() ? scale.asBoolean() : !json.path("tie_word_embeddings").isBoolean() || tie;
        return new T5Config(json.path("vocab_size").asInt(32128), json.path("d_model").asInt(512),
                json.path("d_kv").asInt(64), json.path("d_ff").asInt(2048), layers,
                decoderLayers.isNumber() ? decoderLayers.asInt() : layers, json.path("num_heads").asInt(8),
                json.path("relative_attention_num_buckets").asInt(32),
                json.path("relative_attention_max_distance").asInt(128),
                json.path("layer_norm_epsilon").asDouble(1e-6), json.path("feed_forward_proj").asText("relu"),
                tie, json.path("decoder_start_token_id").asInt(0),
                json.path("pad_token_id").asInt(0), json.path("eos_token_id").asInt(1), scaled);
    }

    /**
     * Writes this config as config.json text with Hugging Face's keys.
     *
     * @return JSON text
     */
    public String toJson() {
        ObjectNode json = ConfigJson.object();
        json.put("model_type", "t5").put("is_encoder_decoder", true).put("vocab_size", vocabSize)
                .put("d_model", dModel).put("d_kv", dKv).put("d_ff", dFf).put("num_layers", numLayers)
                .put("num_decoder_layers", numDecoderLayers).put("num_heads", numHeads)
                .put("relative_attention_num_buckets", relativeAttentionNumBuckets)
                .put("relative_attention_max_distance", relativeAttentionMaxDistance)
                .put("layer_norm_epsilon", layerNormEpsilon).put("feed_forward_proj", feedForwardProj)
                .put("tie_word_embeddings", tieWordEmbeddings).put("scale_decoder_outputs", scaleDecoderOutputs)
                .put("decoder_start_token_id", decoderStartTokenId)
                .put("pad_token_id", padTokenId).put("eos_token_id", eosTokenId);
        json.putArray("architectures").add("T5ForConditionalGeneration");
        return ConfigJson.write(json);
    }
}
