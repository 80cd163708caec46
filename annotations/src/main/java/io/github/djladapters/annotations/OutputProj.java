package io.github.djladapters.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the last projection of the feed-forward block (intermediate back to hidden size). Mirrors {@code layer_output_proj} of the Python {@code AdapterModelInterface}.
 *
 * <p>On a field, the field is that part; it must be non-private, non-final and hold a DJL
 * {@code Block}. On a type annotated with {@link AdapterInterface}, {@link #value()} is the dotted
 * child-name path of the part. Layer-level role: the path is relative to one layer.
 *
 * <pre>{@code
 * @OutputProj Block downProj;                 // on a field
 * @OutputProj("mlp.down_proj")          // on an @AdapterInterface type
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.FIELD, ElementType.TYPE})
public @interface OutputProj {
    /**
     * The dotted child-name path of this part; only on an {@link AdapterInterface} type, empty on a
     * field.
     *
     * @return the path, for example {@code "mlp.down_proj"}
     */
    String value() default "";
}
