package io.github.djladapters.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the list of transformer layers. On a field, its type must be a {@code List} or an array of block types; the processor walks into the element type to find the per-layer roles. Mirrors {@code model_layers} of the Python {@code AdapterModelInterface}.
 *
 * <p>On a field, the field is that part; it must be non-private, non-final and hold a DJL
 * {@code Block}. On a type annotated with {@link AdapterInterface}, {@link #value()} is the dotted
 * child-name path of the part. Model-level role: the path is relative to the model and names a block whose children are the layers, in order.
 *
 * <pre>{@code
 * @Layers List<MyLayer> layers;                 // on a field
 * @Layers("encoder.layer")          // on an @AdapterInterface type
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.FIELD, ElementType.TYPE})
public @interface Layers {
    /**
     * The dotted child-name path of this part; only on an {@link AdapterInterface} type, empty on a
     * field.
     *
     * @return the path, for example {@code "encoder.layer"}
     */
    String value() default "";
}
