package io.github.djladapters.runtime.methods.bottleneck;

/**
 * The Adapters library's {@code AdapterPlusConfig} (Steitz and Roth, 2024): after the feed-forward
 * block's residual and layer norm, with a learned per-channel scaling, Houlsby initialisation and
 * stochastic depth 0.1; the model's residual and layer norm after the adapter are skipped.
 *
 * <pre>{@code
 * adapters.addAdapter("bn", AdapterPlusConfig.builder().reductionFactor(8).build());
 * }</pre>
 */
public final class AdapterPlusConfig {

    private AdapterPlusConfig() {}

    /**
     * A {@link BnConfig} builder preset with this architecture's values.
     *
     * @return the builder; change any field before {@code build()}
     */
    public static BnConfig.Builder builder() {
        return BnConfig.builder()
                .originalLnAfter(false)
                .originalLnBefore(true)
                .residualBeforeLn(ResidualBeforeLn.FALSE)
                .stochasticDepth(0.1)
                .initWeights("houlsby")
                .scaling(BnScaling.CHANNEL)
                .mhAdapter(false)
                .outputAdapter(true)
                .reductionFactor(96)
                .nonLinearity("gelu");
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
