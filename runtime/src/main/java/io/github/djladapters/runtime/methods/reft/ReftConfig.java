package io.github.djladapters.runtime.methods.reft;

import io.github.djladapters.runtime.methods.AdapterConfig;
import java.util.List;
import java.util.Objects;

/**
 * Representation fine-tuning (Wu et al., 2024) with the Adapters library's {@code ReftConfig} fields:
 * at chosen positions of the hidden states a layer outputs, {@code h + R^T (act(W h + b) - R h)}
 * with a learned low-rank {@code R [r, hidden]} (orthonormal rows with {@code orthogonality}) and
 * {@code W, b}; without {@code subtract_projection} (DiReFT) {@code h + R^T act(W h + b)}.
 *
 * <pre>{@code
 * adapters.addAdapter("loreft", ReftConfig.loReft().r(4).positions(3, 2).build());
 * adapters.addAdapter("direft", ReftConfig.diReft().layers(List.of(0, 1)).build());
 * }</pre>
 *
 * <p>The defaults are the {@link Builder}'s, which are LoReFT's.
 *
 * @param layers {@code layers}: the layer indices to intervene on; null for {@code "all"}
 * @param prefixPositions {@code prefix_positions}: how many first real tokens of each row (padding
 *     skipped, see {@link io.github.djladapters.runtime.architecture.RealTokens}), default 3
 * @param suffixPositions {@code suffix_positions}: how many last real tokens of each row, default 0
 * @param r {@code r}: the rank, default 1
 * @param orthogonality {@code orthogonality}: keep R's rows orthonormal (LoReFT), default true
 * @param tiedWeights {@code tied_weights}: one unit for prefix and suffix positions instead of one
 *     each, default false
 * @param subtractProjection {@code subtract_projection}: subtract {@code R h} (false for DiReFT); the
 *     Adapters library does not write it, this project does, so it survives saving; default true
 * @param dropout {@code dropout}: on the intervened states while training, default 0.05
 * @param nonLinearity {@code non_linearity}: the activation on {@code W h + b}; null (the default) for none
 * @param initWeights how a new adapter starts: {@code identity} (default: {@code W = R}, {@code b = 0},
 *     or {@code W = 0} without subtraction, so the model is unchanged) or {@code linear} (PyTorch's
 *     {@code nn.Linear} initialisation, as the Adapters library does); not saved
 */
public record ReftConfig(List<Integer> layers, int prefixPositions, int suffixPositions, int r,
        boolean orthogonality, boolean tiedWeights, boolean subtractProjection, double dropout, String nonLinearity,
        String initWeights) implements AdapterConfig {

    /** Copies the layer list; {@code initWeights} must be set. */
    public ReftConfig {
        layers = layers == null ? null : List.copyOf(layers);
        Objects.requireNonNull(initWeights, "init_weights");
    }

    /**
     * A builder with the Adapters library's {@code LoReftConfig}: orthonormal R, projection subtracted.
     *
     * @return a new builder
     */
    public static Builder loReft() {
        return new Builder();
    }

    /**
     * A builder with the Adapters library's {@code NoReftConfig}: LoReFT without orthogonality.
     *
     * @return a new builder
     */
    public static Builder noReft() {
        return loReft().orthogonality(false);
    }

    /**
     * A builder with the Adapters library's {@code DiReftConfig}: no orthogonality, no projection
     * subtracted.
     *
     * @return a new builder
     */
    public static Builder diReft() {
        return noReft().subtractProjection(false);
    }

    /**
     * A builder starting from this config.
     *
     * @return a builder holding this config's values
     */
    public Builder toBuilder() {
        return new Builder().layers(layers).positions(prefixPositions, suffixPositions).r(r)
                .orthogonality(orthogonality).tiedWeights(tiedWeights).subtractProjection(subtractProjection)
                .dropout(dropout).nonLinearity(nonLinearity).initWeights(initWeights);
    }

    @Override
    public String architecture() {
        return "reft";
    }

    /** Builds a {@link ReftConfig}, starting from LoReFT's values. */
    public static final class Builder {
        private List<Integer> layers;
        private int prefixPositions = 3;
        private int suffixPositions;
        private int r = 1;
        private boolean orthogonality = true;
        private boolean tiedWeights;
        private boolean subtractProjection = true;
        private double dropout = 0.05;
        private String nonLinearity;
        private String initWeights = "identity";

        private Builder() {}

        /**
         * Sets {@code layers}.
         *
         * @param indices layer indices, or null for all
         * @return this builder
         */
        public Builder layers(List<Integer> indices) {
            layers = indices;
            return this;
        }

        /**
         * Sets {@code prefix_positions}.
         *
         * @param count how many first positions
         * @return this builder
         */
        public Builder prefixPositions(int count) {
            prefixPositions = count;
            return this;
        }

        /**
         * Sets {@code suffix_positions}.
         *
         * @param count how many last positions
         * @return this builder
         */
        public Builder suffixPositions(int count) {
            suffixPositions = count;
            return this;
        }

        /**
         * Sets {@code prefix_positions} and {@code suffix_positions}.
         *
         * @param prefix how many first positions
         * @param suffix how many last positions
         * @return this builder
         */
        public Builder positions(int prefix, int suffix) {
            return prefixPositions(prefix).suffixPositions(suffix);
        }

        /**
         * Sets {@code r}.
         *
         * @param rank the rank
         * @return this builder
         */
        public Builder r(int rank) {
            r = rank;
            return this;
        }

        /**
         * Sets {@code orthogonality}.
         *
         * @param value whether R's rows stay orthonormal
         * @return this builder
         */
        public Builder orthogonality(boolean value) {
            orthogonality = value;
            return this;
        }

        /**
         * Sets {@code tied_weights}.
         *
         * @param value one unit for prefix and suffix positions
         * @return this builder
         */
        public Builder tiedWeights(boolean value) {
            tiedWeights = value;
            return this;
        }

        /**
         * Sets {@code subtract_projection}.
         *
         * @param value whether {@code R h} is subtracted
         * @return this builder
         */
        public Builder subtractProjection(boolean value) {
            subtractProjection = value;
            return this;
        }

        /**
         * Sets {@code dropout}.
         *
         * @param rate the dropout rate while training
         * @return this builder
         */
        public Builder dropout(double rate) {
            dropout = rate;
            return this;
        }

        /**
         * Sets {@code non_linearity}.
         *
         * @param activation the activation's name, or null for none
         * @return this builder
         */
        public Builder nonLinearity(String activation) {
            nonLinearity = activation;
            return this;
        }

        /**
         * Sets how a new adapter starts.
         *
         * @param init {@code identity} or {@code linear}
         * @return this builder
         */
        public Builder initWeights(String init) {
            initWeights = init;
            return this;
        }

        /**
         * Builds the config.
         *
         * @return the config
         */
        public ReftConfig build() {
            return new ReftConfig(layers, prefixPositions, suffixPositions, r, orthogonality, tiedWeights,
                    subtractProjection, dropout, nonLinearity, initWeights);
        }
    }
}
