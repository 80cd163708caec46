package io.github.djladapters.models.bert;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.models.checkpoint.ConfigJson;
import io.github.djladapters.models.checkpoint.ConfigLimits;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The {@code config.json} of a Hugging Face BERT, RoBERTa or XLM-RoBERTa model, with the field
 * names Hugging Face writes. Unknown keys are ignored; absent keys take the Hugging Face defaults of
 * {@code BertConfig}.
 *
 * <pre>{@code
 * BertConfig config = BertConfig.read(Path.of("model/config.json"));
 * }</pre>
 *
 * @param modelType {@code bert}, {@code roberta} or {@code xlm-roberta}
 * @param vocabSize the number of token ids
 * @param hiddenSize the width of the hidden states
 * @param numHiddenLayers the number of transformer layers
 * @param numAttentionHeads the number of attention heads; divides {@code hiddenSize}
 * @param intermediateSize the width of the feed-forward block
 * @param hiddenAct the feed-forward activation; {@code gelu} (exact, erf form), {@code gelu_new},
 *     {@code relu} or {@code tanh}
 * @param hiddenDropoutProb dropout on hidden states while training
 * @param attentionProbsDropoutProb dropout on attention probabilities while training
 * @param maxPositionEmbeddings the number of position embeddings
 * @param typeVocabSize the number of token types (1 for RoBERTa)
 * @param layerNormEps the epsilon of every layer norm
 * @param padTokenId the padding token id; RoBERTa positions start after it
 * @param numLabels the number of labels of a classification head ({@code id2label} size when given)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BertConfig(
        @JsonProperty("model_type") String modelType,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("hidden_size") int hiddenSize,
        @JsonProperty("num_hidden_layers") int numHiddenLayers,
        @JsonProperty("num_attention_heads") int numAttentionHeads,
        @JsonProperty("intermediate_size") int intermediateSize,
        @JsonProperty("hidden_act") String hiddenAct,
        @JsonProperty("hidden_dropout_prob") float hiddenDropoutProb,
        @JsonProperty("attention_probs_dropout_prob") float attentionProbsDropoutProb,
        @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
        @JsonProperty("type_vocab_size") int typeVocabSize,
        @JsonProperty("layer_norm_eps") double layerNormEps,
        @JsonProperty("pad_token_id") int padTokenId,
        @JsonProperty("num_labels") int numLabels) {

    /** Fills Hugging Face defaults for keys that config.json leaves out, and checks the sizes. */
    public BertConfig {
        modelType = modelType == null ? "bert" : modelType.toLowerCase(Locale.ROOT);
        vocabSize = vocabSize == 0 ? 30522 : vocabSize;
        hiddenSize = hiddenSize == 0 ? 768 : hiddenSize;
        numHiddenLayers = numHiddenLayers == 0 ? 12 : numHiddenLayers;
        numAttentionHeads = numAttentionHeads == 0 ? 12 : numAttentionHeads;
        intermediateSize = intermediateSize == 0 ? 3072 : intermediateSize;
        hiddenAct = hiddenAct == null ? "gelu" : hiddenAct;
        maxPositionEmbeddings = maxPositionEmbeddings == 0 ? 512 : maxPositionEmbeddings;
        typeVocabSize = typeVocabSize == 0 ? 2 : typeVocabSize;
        layerNormEps = layerNormEps == 0 ? 1e-12 : layerNormEps;
        numLabels = numLabels == 0 ? 2 : numLabels;
        if (!modelType.equals("bert") && !isRobertaType(modelType)) {
            throw new IllegalArgumentException("model_type '" + modelType
                    + "' is not in the BERT family; expected bert, roberta or xlm-roberta");
        }
        ConfigLimits.check("vocab_size", vocabSize, 1, ConfigLimits.MAX_VOCAB);
        ConfigLimits.check("hidden_size", hiddenSize, 1, ConfigLimits.MAX_WIDTH);
        ConfigLimits.check("num_hidden_layers", numHiddenLayers, 1, ConfigLimits.MAX_LAYERS);
        ConfigLimits.check("num_attention_heads", numAttentionHeads, 1, hiddenSize);
        ConfigLimits.check("intermediate_size", intermediateSize, 1, ConfigLimits.MAX_FEED_FORWARD);
        ConfigLimits.check("max_position_embeddings", maxPositionEmbeddings, 1, ConfigLimits.MAX_POSITIONS);
        ConfigLimits.check("type_vocab_size", typeVocabSize, 1, ConfigLimits.MAX_VOCAB);
        ConfigLimits.check("layer_norm_eps", layerNormEps, Double.MIN_VALUE, 1);
        ConfigLimits.check("hidden_dropout_prob", hiddenDropoutProb, 0, 1);
        ConfigLimits.check("attention_probs_dropout_prob", attentionProbsDropoutProb, 0, 1);
        ConfigLimits.check("num_labels", numLabels, 1, ConfigLimits.MAX_VOCAB);
        ConfigLimits.multiple("hidden_size", hiddenSize, "num_attention_heads", numAttentionHeads);
    }

    /**
     * The number of parameters of the encoder this config describes (pooler included).
     *
     * @return the count
     */
    public long parameterCount() {
        long h = hiddenSize;
        long embeddings = (vocabSize + maxPositionEmbeddings + typeVocabSize) * h + 2 * h;
        long layer = 4 * (h * h + h) + 2 * h * intermediateSize + intermediateSize + h + 4 * h;
        return embeddings + numHiddenLayers * layer + h * h + h;
    }

    /**
     * Reads a config.json.
     *
     * @param file the path of config.json
     * @return the config
     * @throws IOException when the file cannot be read or is not valid JSON (the message names the file)
     */
    public static BertConfig read(Path file) throws IOException {
        return ConfigJson.read(file, "BERT", BertConfig::fromJson);
    }

    /**
     * Parses config.json text.
     *
     * @param json the JSON text
     * @return the config
     * @throws IOException when the text is not a valid config
     */
    public static BertConfig parse(String json) throws IOException {
        JsonNode tree = ConfigJson.MAPPER.readTree(json);
        if (tree == null || !tree.isObject()) {
            throw new IOException("expected a JSON object");
        }
        return fromJson(tree);
    }

    /**
     * Binds a config.json object after filling what depends on other keys: the label count from
     * {@code id2label}, the padding id by model type, dropouts that are absent (an explicit 0 stays).
     */
    private static BertConfig fromJson(JsonNode json) throws IOException {
        // keys that change the math of the model this code builds are errors, not ignored
        String positions = json.path("position_embedding_type").asText("absolute");
        if (!positions.equals("absolute")) {
            throw new IllegalArgumentException("position_embedding_type '" + positions
                    + "' is not supported; only absolute position embeddings");
        }
        if (json.path("is_decoder").booleanValue() || json.path("add_cross_attention").booleanValue()) {
            throw new IllegalArgumentException("is_decoder / add_cross_attention: only the BERT encoder is supported");
        }
        ObjectNode filled = json.deepCopy();
        JsonNode labels = json.path("id2label");
        if (labels.isObject() && labels.size() > 0) {
            filled.put("num_labels", labels.size());
        }
        String type = json.path("model_type").asText("bert").toLowerCase(Locale.ROOT);
        if (!json.hasNonNull("pad_token_id")) {
            filled.put("pad_token_id", isRobertaType(type) ? 1 : 0);
        }
        for (String dropout : new String[] {"hidden_dropout_prob", "attention_probs_dropout_prob"}) {
            if (!json.hasNonNull(dropout)) {
                filled.put(dropout, 0.1f);
            }
        }
        return ConfigJson.MAPPER.treeToValue(filled, BertConfig.class);
    }

    /**
     * Writes this config as Hugging Face config.json text.
     *
     * @return JSON text
     */
    public String toJson() {
        return ConfigJson.write(this);
    }

    /**
     * The config of sentence-transformers all-MiniLM-L6-v2: 6 layers, hidden 384, 12 heads.
     *
     * @return the config
     */
    public static BertConfig allMiniLmL6V2() {
        return new BertConfig("bert", 30522, 384, 6, 12, 1536, "gelu", 0.1f, 0.1f, 512, 2, 1e-12, 0, 2);
    }

    /**
     * Whether this is a RoBERTa-style model (positions offset by the padding id).
     *
     * @return true for roberta and xlm-roberta
     */
    public boolean isRoberta() {
        return isRobertaType(modelType);
    }

    /**
     * The name Hugging Face task models give the base model ({@code bert.} or {@code roberta.} in keys).
     *
     * @return {@code "bert"} or {@code "roberta"}
     */
    public String baseModelPrefix() {
        return isRoberta() ? "roberta" : "bert";
    }

    /**
     * The width of one attention head.
     *
     * @return hidden size / heads
     */
    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }

    private static boolean isRobertaType(String type) {
        return type.equals("roberta") || type.equals("xlm-roberta") || type.equals("camembert");
    }
}
