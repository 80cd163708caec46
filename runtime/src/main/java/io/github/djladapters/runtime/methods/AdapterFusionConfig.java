package io.github.djladapters.runtime.methods;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The Adapters library's {@code AdapterFusionConfig}: the attention layer that AdapterFusion puts at
 * each site of the fused bottleneck adapters, with the library's field names as written to
 * {@code adapter_fusion_config.json}.
 *
 * @param key {@code key}: a trained key projection of the adapters' outputs (else they are the keys)
 * @param query {@code query}: a trained query projection of the site's input
 * @param value {@code value}: a trained value projection (no bias)
 * @param queryBeforeLn {@code query_before_ln}: the query is the sub-block's output before the model's layer norm
 * @param regularization {@code regularization}: the library adds a loss term pulling the value matrix
 *     towards the identity in its own trainer; recorded, not applied by the forward
 * @param residualBefore {@code residual_before}: the residual is added to the values before attention
 *     (else to the result)
 * @param temperature {@code temperature}: softmax temperature starting at 50, lowered by 0.05 each
 *     training forward down to 1 (else 1)
 * @param valueBeforeSoftmax {@code value_before_softmax}: the value projection applies to each adapter's
 *     output (else to the attention's result)
 * @param valueInitialized {@code value_initialized}: the value matrix starts at the identity (1e-6 off the diagonal)
 * @param dropoutProb {@code dropout_prob}: dropout on the attention scores while training; null for none
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record AdapterFusionConfig(
        @JsonProperty("key") boolean key,
        @JsonProperty("query") boolean query,
        @JsonProperty("value") boolean value,
        @JsonProperty("query_before_ln") boolean queryBeforeLn,
        @JsonProperty("regularization") boolean regularization,
        @JsonProperty("residual_before") boolean residualBefore,
        @JsonProperty("temperature") boolean temperature,
        @JsonProperty("value_before_softmax") boolean valueBeforeSoftmax,
        @JsonProperty("value_initialized") boolean valueInitialized,
        @JsonProperty("dropout_prob") Double dropoutProb) {

    /** Checks that some projection is trained and the dropout is a probability. */
    public AdapterFusionConfig {
        if (!key && !query && !value) {
            throw new IllegalArgumentException("adapter fusion config: key, query and value are all false (the"
                    + " library's single dense scoring layer is not supported); set at least one");
        }
        if (dropoutProb != null && (dropoutProb < 0 || dropoutProb >= 1)) {
            throw new IllegalArgumentException("adapter fusion config: dropout_prob must be in [0, 1), got "
                    + dropoutProb);
        }
    }

    /**
     * The library's default {@code "dynamic"} fusion: query, key and value, the value starting at the identity.
     *
     * @return the config
     */
    public static AdapterFusionConfig dynamic() {
        return new AdapterFusionConfig(true, true, true, false, true, false, false, true, true, null);
    }

    /**
     * The library's {@code "static"} fusion: query and key, no value matrix.
     *
     * @return the config
     */
    public static AdapterFusionConfig staticFusion() {
        return new AdapterFusionConfig(true, true, false, false, false, false, false, true, false, null);
    }
}
