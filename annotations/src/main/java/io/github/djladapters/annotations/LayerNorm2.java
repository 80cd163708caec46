package io.github.djladapters.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the layer norm after the feed-forward block (where its residual is added); bottleneck adapters need it. Mirrors {@code layer_ln_2} of the Python {@code AdapterModelInterface}.
 *
 * <p>On a field, the field is that part; it must be non-private, non-final and hold a DJL
 * {@code Block}. On a type annotated with {@link AdapterInterface}, {@link #value()} is the dotted
 * child-name path of the part. Layer-level role: the path is relative to one layer.
 *
 * <pre>{@code
 * @LayerNorm2 Block outputLayerNorm;                 // on a field
 * @LayerNorm2("output.LayerNorm")          // on an @AdapterInterface type
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.FIELD, ElementType.TYPE})
public @interface LayerNorm2 {
    /**
     * The dotted child-name path of this part; only on an {@link AdapterInterface} type, empty on a
     * field.
     *
     * @return the path, for example {@code "output.LayerNorm"}
     */
    String value() default "";
}
