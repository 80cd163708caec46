package io.github.djladapters.runtime.methods.bottleneck;

/**
 * The Adapters library's {@code DoubleSeqBnInvConfig}: {@link DoubleSeqBnConfig} (Houlsby et al.) with a NICE invertible adapter on the embeddings output
 * ({@code inv_adapter = "nice"}, {@code inv_adapter_reduction_factor = 2}), undone before a language-model
 * head.
 *
 * <pre>{@code
 * adapters.addAdapter("lang", DoubleSeqBnInvConfig.create());
 * }</pre>
 */
public final class DoubleSeqBnInvConfig {

    private DoubleSeqBnInvConfig() {}

    /**
     * A {@link BnConfig} builder preset with this architecture's values.
     *
     * @return the builder; change any field before {@code build()}
     */
    public static BnConfig.Builder builder() {
        return DoubleSeqBnConfig.builder().invAdapter("nice").invAdapterReductionFactor(2.0);
    }

    /**
     * This architecture with its default values.
     *
     * @return the config
     */
    public static BnConfig create() {
        return builder().build();
    }
}
