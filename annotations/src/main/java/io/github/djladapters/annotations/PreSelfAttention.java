package io.github.djladapters.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the hook point directly before the self-attention block (for example its input layer norm); used by extended bottleneck adapters. Mirrors {@code layer_pre_self_attn} of the Python {@code AdapterModelInterface}.
 *
 * <p>On a field, the field is that part; it must be non-private, non-final and hold a DJL
 * {@code Block}. On a type annotated with {@link AdapterInterface}, {@link #value()} is the dotted
 * child-name path of the part. Layer-level role: the path is relative to one layer.
 *
 * <pre>{@code
 * @PreSelfAttention Block inputLayernorm;                 // on a field
 * @PreSelfAttention("input_layernorm")          // on an @AdapterInterface type
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.FIELD, ElementType.TYPE})
public @interface PreSelfAttention {
    /**
     * The dotted child-name path of this part; only on an {@link AdapterInterface} type, empty on a
     * field.
     *
     * @return the path, for example {@code "input_layernorm"}
     */
    String value() default "";
}
