package io.github.djladapters.runtime.methods.reft;

import io.github.djladapters.runtime.methods.AdapterConfig;
import java.util.List;

/**
 * Representation fine-tuning (Wu et al., 2024) with the Adapters library's {@code ReftConfig} fields:
 * at chosen positions of the hidden states a layer outputs, {@code h + R^T (act(W h + b) - R h)}
 * with a learned low-rank {@code R [r, hidden]} (orthonormal rows with {@code orthogonality}) and
 * {@code W, b}; without {@code subtract_projection} (DiReFT) {@code h + R^T act(W h + b)}.
 *
 * <pre>{@code
 * adapters.addAdapter("loreft", ReftConfig.loReft().withR(4).withPositions(3, 2));
 * adapters.addAdapter("direft", ReftConfig.diReft().withLayers(List.of(0, 1)));
 * }</pre>
 *
 * @param layers {@code layers}: the layer indices to intervene on; null for {@code "all"}
 * @param prefixPositions {@code prefix_positions}: how many first real tokens of each row (padding
 *     skipped, see {@link io.github.djladapters.runtime.architecture.RealTokens}), default 3
 * @param suffixPositions {@code suffix_positions}: how many last real tokens of each row, default 0
 * @param r {@code r}: the rank, default 1
 * @param orthogonality {@code orthogonality}: keep R's rows orthonormal (LoReFT), default true
 * @param tiedWeights {@code tied_weights}: one unit for prefix and suffix positions instead of one each
 * @param subtractProjection {@code subtract_projection}: subtract {@code R h} (false for DiReFT); the
 *     Adapters library does not write it, this project does, so it survives saving
 * @param dropout {@code dropout}: on the intervened states while training, default 0.05
 * @param nonLinearity {@code non_linearity}: the activation on {@code W h + b}; null for none
 * @param initWeights how a new adapter starts: {@code identity} (default: {@code W = R}, {@code b = 0},
 *     or {@code W = 0} without subtraction, so the model is unchanged) or {@code linear} (PyTorch's
 *     {@code nn.Linear} initialisation, as the Adapters library does); not saved
 */
public record ReftConfig(List<Integer> layers, int prefixPositions, int suffixPositions, int r,
        boolean orthogonality, boolean tiedWeights, boolean subtractProjection, double dropout, String nonLinearity,
        String initWeights) implements AdapterConfig {

    /** Copies the layer list and fills the init default. */
    public ReftConfig {
        layers = layers == null ? null : List.copyOf(layers);
        initWeights = initWeights == null ? "identity" : initWeights;
    }

    /**
     * The Adapters library's {@code LoReftConfig}: orthonormal R, projection subtracted.
     *
     * @return the config
     */
    public static ReftConfig loReft() {
        return new ReftConfig(null, 3, 0, 1, true, false, true, 0.05, null, null);
    }

    /**
     * The Adapters library's {@code NoReftConfig}: LoReFT without orthogonality.
     *
     * @return the config
     */
    public static ReftConfig noReft() {
        return new ReftConfig(null, 3, 0, 1, false, false, true, 0.05, null, null);
    }

    /**
     * The Adapters library's {@code DiReftConfig}: no orthogonality, no projection subtracted.
     *
     * @return the config
     */
    public static ReftConfig diReft() {
        return new ReftConfig(null, 3, 0, 1, false, false, false, 0.05, null, null);
    }

    /**
     * This config with another rank.
     *
     * @param rank r
     * @return a copy
     */
    public ReftConfig withR(int rank) {
        return new ReftConfig(layers, prefixPositions, suffixPositions, rank, orthogonality, tiedWeights,
                subtractProjection, dropout, nonLinearity, initWeights);
    }

    /**
     * This config with other positions.
     *
     * @param prefix prefix_positions
     * @param suffix suffix_positions
     * @return a copy
     */
    public ReftConfig withPositions(int prefix, int suffix) {
        return new ReftConfig(layers, prefix, suffix, r, orthogonality, tiedWeights, subtractProjection, dropout,
                nonLinearity, initWeights);
    }

    /**
     * This config on other layers.
     *
     * @param indices layer indices, or null for all
     * @return a copy
     */
    public ReftConfig withLayers(List<Integer> indices) {
        return new ReftConfig(indices, prefixPositions, suffixPositions, r, orthogonality, tiedWeights,
                subtractProjection, dropout, nonLinearity, initWeights);
    }

    /**
     * This config with other options.
     *
     * @param tied tied_weights
     * @param rate dropout
     * @param activation non_linearity, or null
     * @param init init_weights ({@code identity} or {@code linear})
     * @return a copy
     */
    public ReftConfig with(boolean tied, double rate, String activation, String init) {
        return new ReftConfig(layers, prefixPositions, suffixPositions, r, orthogonality, tied, subtractProjection,
                rate, activation, init);
    }

    @Override
    public String architecture() {
        return "reft";
    }
}
