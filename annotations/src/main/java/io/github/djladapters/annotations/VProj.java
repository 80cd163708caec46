package io.github.djladapters.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the value projection of an attention block. Use either {@code @QProj}, {@code @KProj} and {@code @VProj} together, or a single {@link QKVProj}. Mirrors {@code attn_v_proj} of the Python {@code AdapterModelInterface}.
 *
 * <p>On a field, the field is that part; it must be non-private, non-final and hold a DJL
 * {@code Block}. On a type annotated with {@link AdapterInterface}, {@link #value()} is the dotted
 * child-name path of the part. Attention-level role: the path is relative to the attention block.
 *
 * <pre>{@code
 * @VProj Block vProj;                 // on a field
 * @VProj("v_proj")          // on an @AdapterInterface type
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.FIELD, ElementType.TYPE})
public @interface VProj {
    /**
     * The dotted child-name path of this part; only on an {@link AdapterInterface} type, empty on a
     * field.
     *
     * @return the path, for example {@code "v_proj"}
     */
    String value() default "";
}
