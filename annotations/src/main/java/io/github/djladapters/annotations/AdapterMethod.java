package io.github.djladapters.annotations;

import java.lang.annotation.Annotation;
import java.util.List;

/**
 * The families of adapter methods a model can support, as in the Adapters library's
 * {@code AdapterMethod}. IA3 belongs to {@link #LORA}, as it does there.
 *
 * <pre>{@code
 * @AdaptableModel(methods = {AdapterMethod.LORA, AdapterMethod.BOTTLENECK})
 * public class MyModel extends AbstractBlock { ... }
 * }</pre>
 */
public enum AdapterMethod {
    /**
     * Bottleneck adapters on the attention and feed-forward outputs; needs the hook points before
     * both sub-blocks, whose inputs are the residuals ({@code @LayerNorm1}/{@code @LayerNorm2} are
     * used where a post-LN model declares them).
     */
    BOTTLENECK("bottleneck"),
    /** Prefix tuning: learned keys and values prepended in every attention layer. */
    PREFIX_TUNING("prefix_tuning"),
    /** Low-rank adaptation of the projections, and IA3 scaling. */
    LORA("lora"),
    /** Prompt tuning: learned soft tokens prepended to the embeddings. */
    PROMPT_TUNING("prompt_tuning"),
    /** Representation fine-tuning: interventions on the hidden states of layers. */
    REFT("reft"),
    /** Invertible adapters around the embeddings. */
    INVERTIBLE("invertible"),
    /** LLaMA-Adapter: gated attention over learned prompts in the top attention layers. */
    ADAPTION_PROMPT("adaption_prompt");

    private final String configName;

    AdapterMethod(String configName) {
        this.configName = configName;
    }

    /**
     * The role annotations every layer must declare for this method, beyond the ones every
     * declaration has. The annotation processor and the runtime both read this list, so the rule is
     * written once.
     *
     * @return for example {@code [PreSelfAttention, PreFfn]} for {@link #BOTTLENECK}; empty for most
     */
    public List<Class<? extends Annotation>> requiredRoles() {
        return this == BOTTLENECK ? List.of(PreSelfAttention.class, PreFfn.class) : List.of();
    }

    /**
     * Whether this method reaches the keys and values of the self-attention block, which must then
     * implement the runtime's {@code KeyValueAttention}.
     *
     * @return true for {@link #PREFIX_TUNING} and {@link #ADAPTION_PROMPT}
     */
    public boolean needsKeyValueAttention() {
        return this == PREFIX_TUNING || this == ADAPTION_PROMPT;
    }

    /**
     * The lower-case name used in configuration files, as in the Python libraries.
     *
     * @return the configuration name, for example {@code "prefix_tuning"}
     */
    public String configName() {
        return configName;
    }

    /**
     * Finds a method by its configuration name, ignoring case.
     *
     * @param name a name such as {@code "lora"} or {@code "PREFIX_TUNING"}
     * @return the method
     * @throws IllegalArgumentException if no method has that name; the message lists the valid names
     */
    public static AdapterMethod fromConfigName(String name) {
        for (AdapterMethod method : values()) {
            if (method.configName.equalsIgnoreCase(name) || method.name().equalsIgnoreCase(name)) {
                return method;
            }
        }
        StringBuilder valid = new StringBuilder();
        for (AdapterMethod method : values()) {
            valid.append(valid.length() == 0 ? "" : ", ").append(method.configName);
        }
        throw new IllegalArgumentException(
                "unknown adapter method '" + name + "'; expected one of: " + valid);
    }
}
