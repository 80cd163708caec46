package io.github.djladapters.runtime.methods.bottleneck;

/**
 * The Adapters library's {@code SeqBnConfig}: the sequential bottleneck adapter of Pfeiffer et al.
 * (2020), after each feed-forward block, between the model's residual and layer norm and a second
 * application of them.
 *
 * <pre>{@code
 * adapters.addAdapter("bn", SeqBnConfig.builder().reductionFactor(8).build());
 * }</pre>
 */
public final class SeqBnConfig {

    private SeqBnConfig() {}

    /**
     * A {@link BnConfig} builder preset with this architecture's values.
     *
     * @return the builder; change any field before {@code build()}
     */
    public static BnConfig.Builder builder() {
        return BnConfig.builder()
                .originalLnBefore(true)
                .originalLnAfter(true)
                .residualBeforeLn(ResidualBeforeLn.TRUE)
                .mhAdapter(false)
                .outputAdapter(true)
                .nonLinearity("relu")
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
