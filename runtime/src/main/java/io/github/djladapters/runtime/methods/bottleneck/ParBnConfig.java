package io.github.djladapters.runtime.methods.bottleneck;

/**
 * The Adapters library's {@code ParBnConfig}: the parallel bottleneck adapter of He et al. (2021),
 * which reads the feed-forward block's input and adds to its output, scaled by 4.
 *
 * <pre>{@code
 * adapters.addAdapter("bn", ParBnConfig.builder().reductionFactor(8).build());
 * }</pre>
 */
public final class ParBnConfig {

    private ParBnConfig() {}

    /**
     * A {@link BnConfig} builder preset with this architecture's values.
     *
     * @return the builder; change any field before {@code build()}
     */
    public static BnConfig.Builder builder() {
        return BnConfig.builder()
                .originalLnBefore(false)
                .originalLnAfter(true)
                .mhAdapter(false)
                .outputAdapter(true)
                .nonLinearity("relu")
                .reductionFactor(2)
                .initWeights("mam_adapter")
                .isParallel(true)
                .scaling(4.0);
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
