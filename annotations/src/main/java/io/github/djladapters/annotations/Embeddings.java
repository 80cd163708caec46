package io.github.djladapters.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the token embedding block of the model. Mirrors {@code model_embeddings} of the Python {@code AdapterModelInterface}.
 *
 * <p>On a field, the field is that part; it must be non-private, non-final and hold a DJL
 * {@code Block}. On a type annotated with {@link AdapterInterface}, {@link #value()} is the dotted
 * child-name path of the part. Model-level role: the path is relative to the model.
 *
 * <pre>{@code
 * @Embeddings Block wordEmbeddings;                 // on a field
 * @Embeddings("embed_tokens")          // on an @AdapterInterface type
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.FIELD, ElementType.TYPE})
public @interface Embeddings {
    /**
     * The dotted child-name path of this part; only on an {@link AdapterInterface} type, empty on a
     * field.
     *
     * @return the path, for example {@code "embed_tokens"}
     */
    String value() default "";
}
