package io.github.djladapters.runtime.methods.bottleneck;

/**
 * The Adapters library's {@code DoubleSeqBnConfig}: the bottleneck adapters of Houlsby et al.
 * (2019), after the attention block and after the feed-forward block, before the residual and layer
 * norm.
 *
 * <pre>{@code
 * adapters.addAdapter("bn", DoubleSeqBnConfig.builder().reductionFactor(8).build());
 * }</pre>
 */
public final class DoubleSeqBnConfig {

    private DoubleSeqBnConfig() {}

    /**
     * A {@link BnConfig} builder preset with this architecture's values.
     *
     * @return the builder; change any field before {@code build()}
     */
    public static BnConfig.Builder builder() {
        return BnConfig.builder()
                .originalLnBefore(false)
                .originalLnAfter(true)
                .residualBeforeLn(ResidualBeforeLn.TRUE)
                .mhAdapter(true)
                .outputAdapter(true)
                .nonLinearity("swish")
                .reductionFactor(16);
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
