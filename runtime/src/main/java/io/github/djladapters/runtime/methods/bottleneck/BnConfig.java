package io.github.djladapters.runtime.methods.bottleneck;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.github.djladapters.runtime.methods.AdapterConfig;
import java.util.List;
import java.util.Set;

/**
 * A bottleneck adapter, with the Adapters library's {@code BnConfig} field names and semantics:
 * after the attention block ({@code mh_adapter}) and/or the feed-forward block
 * ({@code output_adapter}) of each layer, {@code up(act(down(h))) * scaling} with a residual, in
 * sequence ({@code Adapter}) or in parallel ({@code ParallelAdapter}, {@code is_parallel}). Presets:
 * {@link SeqBnConfig} (Pfeiffer), {@link DoubleSeqBnConfig} (Houlsby), {@link ParBnConfig} (He et
 * al.), {@link AdapterPlusConfig}.
 *
 * <pre>{@code
 * adapters.addAdapter("bn", SeqBnConfig.builder().reductionFactor(16).build());
 * }</pre>
 *
 * @param mhAdapter {@code mh_adapter}: an adapter after each attention block
 * @param outputAdapter {@code output_adapter}: an adapter after each feed-forward block
 * @param reductionFactor {@code reduction_factor}: bottleneck width {@code max(1, hidden // factor)}, also per layer
 * @param nonLinearity {@code non_linearity}: {@code relu}, {@code swish}/{@code silu}, {@code gelu} (erf),
 *     {@code gelu_new} (tanh approximation), {@code gelu_orig} (erf), {@code tanh}, {@code sigmoid},
 *     {@code leakyrelu} or {@code linear}
 * @param originalLnBefore {@code original_ln_before}: add the sub-block's residual and apply its layer
 *     norm before the adapter (default false)
 * @param originalLnAfter {@code original_ln_after}: add the residual and apply the layer norm after the
 *     adapter (default true; false skips them, which the library's plugin hooks cannot do)
 * @param lnBefore {@code ln_before}: a new layer norm at the adapter's input (default false)
 * @param lnAfter {@code ln_after}: a new layer norm at the adapter's output (default false)
 * @param initWeights {@code init_weights}: {@code bert} (default: N(0, 0.02) weights, zero biases),
 *     {@code mam_adapter} (Kaiming-uniform down, zero up: the adapter starts as an exact identity) or
 *     {@code houlsby} (truncated N(0, 0.01) in +-0.02, zero biases)
 * @param isParallel {@code is_parallel}: the adapter reads the sub-block's input and adds to its output
 * @param scaling {@code scaling}: a constant (default 1.0), {@code learned} or {@code channel}
 * @param residualBeforeLn {@code residual_before_ln}: which residual the adapter adds back (default true)
 * @param adapterResidualBeforeLn {@code adapter_residual_before_ln}: add that residual before
 *     {@code ln_after} (default false)
 * @param leaveOut {@code leave_out}: layer indices without adapters
 * @param dropout {@code dropout} on the adapter's output while training (default 0)
 * @param stochasticDepth {@code stochastic_depth}: probability of dropping the adapter's output per row
 *     while training (default 0; AdapterPlus uses 0.1)
 * @param invAdapter {@code inv_adapter}: an invertible adapter on the embeddings output, {@code nice}
 *     (see {@link InvertibleAdapterLayer}) or null for none (default); {@code glow} is read but refused
 *     when attached
 * @param invAdapterReductionFactor {@code inv_adapter_reduction_factor}: the width of the invertible
 *     adapter's subnets, {@code floor(half // factor)}; required with {@code inv_adapter}
 */
@JsonDeserialize(builder = BnConfig.Builder.class)
public record BnConfig(
        @JsonProperty("mh_adapter") boolean mhAdapter,
        @JsonProperty("output_adapter") boolean outputAdapter,
        @JsonProperty("reduction_factor") ReductionFactor reductionFactor,
        @JsonProperty("non_linearity") String nonLinearity,
        @JsonProperty("original_ln_before") boolean originalLnBefore,
        @JsonProperty("original_ln_after") boolean originalLnAfter,
        @JsonProperty("ln_before") boolean lnBefore,
        @JsonProperty("ln_after") boolean lnAfter,
        @JsonProperty("init_weights") String initWeights,
        @JsonProperty("is_parallel") boolean isParallel,
        @JsonProperty("scaling") BnScaling scaling,
        @JsonProperty("residual_before_ln") ResidualBeforeLn residualBeforeLn,
        @JsonProperty("adapter_residual_before_ln") boolean adapterResidualBeforeLn,
        @JsonProperty("leave_out") List<Integer> leaveOut,
        @JsonProperty("dropout") double dropout,
        @JsonProperty("stochastic_depth") double stochasticDepth,
        @JsonProperty("inv_adapter") String invAdapter,
        @JsonProperty("inv_adapter_reduction_factor") Double invAdapterReductionFactor) implements AdapterConfig {

    /** The keys the Adapters library's {@code BnConfig} has no default for. */
    public static final List<String> REQUIRED_KEYS = List.of("mh_adapter", "output_adapter", "reduction_factor",
            "non_linearity");

    /** The activation names {@code non_linearity} takes. */
    public static final Set<String> NON_LINEARITIES = Set.of("relu", "swish", "silu", "gelu", "gelu_new",
            "gelu_orig", "tanh", "sigmoid", "leakyrelu", "linear");

    /** The values of {@code init_weights}. */
    public static final Set<String> INITS = Set.of("bert", "mam_adapter", "houlsby");

    /** The values of {@code inv_adapter} besides null. */
    public static final Set<String> INV_ADAPTERS = Set.of("nice", "glow");

    /** Checks every value; the defaults are the {@link Builder}'s. */
    public BnConfig {
        require(reductionFactor, "reduction_factor");
        require(nonLinearity, "non_linearity");
        require(initWeights, "init_weights");
        require(scaling, "scaling");
        require(residualBeforeLn, "residual_before_ln");
        leaveOut = List.copyOf(require(leaveOut, "leave_out"));
        if (!mhAdapter && !outputAdapter) {
            throw new IllegalArgumentException("mh_adapter and output_adapter are both false: the adapter would go"
                    + " nowhere");
        }
        if (!NON_LINEARITIES.contains(nonLinearity.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("non_linearity '" + nonLinearity + "' is not supported; expected one of "
                    + new java.util.TreeSet<>(NON_LINEARITIES));
        }
        if (!INITS.contains(initWeights)) {
            throw new IllegalArgumentException("init_weights '" + initWeights + "' is not one of " + new java.util.TreeSet<>(INITS));
        }
        if (dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        if (stochasticDepth < 0 || stochasticDepth >= 1) {
            throw new IllegalArgumentException("stochastic_depth must be in [0, 1), got " + stochasticDepth);
        }
        if (residualBeforeLn == ResidualBeforeLn.POST_ADD && !originalLnBefore) {
            throw new IllegalArgumentException("residual_before_ln \"post_add\" needs original_ln_before: the sum it"
                    + " takes is made there");
        }
        if (invAdapter != null) {
            if (!INV_ADAPTERS.contains(invAdapter)) {
                throw new IllegalArgumentException("inv_adapter '" + invAdapter + "' is not one of "
                        + new java.util.TreeSet<>(INV_ADAPTERS) + " (or null for none)");
            }
            if (invAdapterReductionFactor == null || !(invAdapterReductionFactor > 0)) {
                throw new IllegalArgumentException("inv_adapter_reduction_factor must be a positive number with"
                        + " inv_adapter '" + invAdapter + "', got " + invAdapterReductionFactor);
            }
        }
    }

    private static <T> T require(T value, String key) {
        if (value == null) {
            throw new IllegalArgumentException(key + " is required");
        }
        return value;
    }

    @Override
    public String architecture() {
        return "bottleneck";
    }

    /**
     * A builder with the Adapters library's {@code BnConfig} defaults and Pfeiffer's settings for
     * its required fields ({@code output_adapter}, {@code reduction_factor} 16, {@code relu}).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from this config.
     *
     * @return a builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.mhAdapter = mhAdapter;
        b.outputAdapter = outputAdapter;
        b.reductionFactor = reductionFactor;
        b.nonLinearity = nonLinearity;
        b.originalLnBefore = originalLnBefore;
        b.originalLnAfter = originalLnAfter;
        b.lnBefore = lnBefore;
        b.lnAfter = lnAfter;
        b.initWeights = initWeights;
        b.isParallel = isParallel;
        b.scaling = scaling;
        b.residualBeforeLn = residualBeforeLn;
        b.adapterResidualBeforeLn = adapterResidualBeforeLn;
        b.leaveOut = leaveOut;
        b.dropout = dropout;
        b.stochasticDepth = stochasticDepth;
        b.invAdapter = invAdapter;
        b.invAdapterReductionFactor = invAdapterReductionFactor;
        return b;
    }

    /**
     * The bottleneck width of one layer.
     *
     * @param hidden the hidden size
     * @param layer the layer index
     * @return {@code max(1, int(hidden // reduction_factor))}
     */
    @JsonIgnore
    public int width(long hidden, int layer) {
        return reductionFactor.width(hidden, layer);
    }

    /**
     * Builds a {@link BnConfig}; every setter takes the library's value for that field. Also how
     * Jackson reads one, so absent optional keys keep these defaults.
     */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder {
        private boolean mhAdapter;
        private boolean outputAdapter = true;
        private ReductionFactor reductionFactor = ReductionFactor.of(16);
        private String nonLinearity = "relu";
        private boolean originalLnBefore;
        private boolean originalLnAfter = true;
        private boolean lnBefore;
        private boolean lnAfter;
        private String initWeights = "bert";
        private boolean isParallel;
        private BnScaling scaling = BnScaling.of(1.0);
        private ResidualBeforeLn residualBeforeLn = ResidualBeforeLn.TRUE;
        private boolean adapterResidualBeforeLn;
        private List<Integer> leaveOut = List.of();
        private double dropout;
        private double stochasticDepth;
        private String invAdapter;
        private Double invAdapterReductionFactor;

        Builder() {}

        /**
         * Sets {@code mh_adapter}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("mh_adapter")
        public Builder mhAdapter(boolean v) {
            mhAdapter = v;
            return this;
        }

        /**
         * Sets {@code output_adapter}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("output_adapter")
        public Builder outputAdapter(boolean v) {
            outputAdapter = v;
            return this;
        }

        /**
         * Sets {@code reduction_factor} for every layer.
         *
         * @param v the value
         * @return this
         */
        public Builder reductionFactor(double v) {
            reductionFactor = ReductionFactor.of(v);
            return this;
        }

        /**
         * Sets {@code reduction_factor}, possibly per layer.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("reduction_factor")
        public Builder reductionFactor(ReductionFactor v) {
            reductionFactor = v;
            return this;
        }

        /**
         * Sets {@code non_linearity}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("non_linearity")
        public Builder nonLinearity(String v) {
            nonLinearity = v;
            return this;
        }

        /**
         * Sets {@code original_ln_before}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("original_ln_before")
        public Builder originalLnBefore(boolean v) {
            originalLnBefore = v;
            return this;
        }

        /**
         * Sets {@code original_ln_after}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("original_ln_after")
        public Builder originalLnAfter(boolean v) {
            originalLnAfter = v;
            return this;
        }

        /**
         * Sets {@code ln_before}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("ln_before")
        public Builder lnBefore(boolean v) {
            lnBefore = v;
            return this;
        }

        /**
         * Sets {@code ln_after}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("ln_after")
        public Builder lnAfter(boolean v) {
            lnAfter = v;
            return this;
        }

        /**
         * Sets {@code init_weights}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("init_weights")
        public Builder initWeights(String v) {
            initWeights = v;
            return this;
        }

        /**
         * Sets {@code is_parallel}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("is_parallel")
        public Builder isParallel(boolean v) {
            isParallel = v;
            return this;
        }

        /**
         * Sets {@code scaling}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("scaling")
        public Builder scaling(BnScaling v) {
            scaling = v;
            return this;
        }

        /**
         * Sets a constant {@code scaling}.
         *
         * @param v the value
         * @return this
         */
        public Builder scaling(double v) {
            scaling = BnScaling.of(v);
            return this;
        }

        /**
         * Sets {@code residual_before_ln}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("residual_before_ln")
        public Builder residualBeforeLn(ResidualBeforeLn v) {
            residualBeforeLn = v;
            return this;
        }

        /**
         * Sets {@code adapter_residual_before_ln}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("adapter_residual_before_ln")
        public Builder adapterResidualBeforeLn(boolean v) {
            adapterResidualBeforeLn = v;
            return this;
        }

        /**
         * Sets {@code leave_out}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("leave_out")
        public Builder leaveOut(List<Integer> v) {
            leaveOut = v;
            return this;
        }

        /**
         * Sets {@code dropout}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("dropout")
        public Builder dropout(double v) {
            dropout = v;
            return this;
        }

        /**
         * Sets {@code stochastic_depth}.
         *
         * @param v the value
         * @return this
         */
        @JsonProperty("stochastic_depth")
        public Builder stochasticDepth(double v) {
            stochasticDepth = v;
            return this;
        }

        /**
         * Sets {@code inv_adapter}.
         *
         * @param v {@code nice}, {@code glow} or null for none
         * @return this
         */
        @JsonProperty("inv_adapter")
        public Builder invAdapter(String v) {
            invAdapter = v;
            return this;
        }

        /**
         * Sets {@code inv_adapter_reduction_factor}.
         *
         * @param v the factor, or null without an invertible adapter
         * @return this
         */
        @JsonProperty("inv_adapter_reduction_factor")
        public Builder invAdapterReductionFactor(Double v) {
            invAdapterReductionFactor = v;
            return this;
        }

        /**
         * Builds the config.
         *
         * @return the config
         * @throws IllegalArgumentException naming the field for a bad value
         */
        public BnConfig build() {
            return new BnConfig(mhAdapter, outputAdapter, reductionFactor, nonLinearity, originalLnBefore,
                    originalLnAfter, lnBefore, lnAfter, initWeights, isParallel, scaling, residualBeforeLn,
                    adapterResidualBeforeLn, leaveOut, dropout, stochasticDepth, invAdapter,
                    invAdapterReductionFactor);
        }
    }
}
