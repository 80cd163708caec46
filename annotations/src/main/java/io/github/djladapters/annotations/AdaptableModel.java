package io.github.djladapters.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a DJL block class as a model that adapters can be added to. The annotation processor walks
 * from this class through its fields to find every role (embeddings, layers, attention, projections,
 * hook points), checks the declaration and generates {@code <Model>_AdapterBindings}.
 *
 * <pre>{@code
 * @AdaptableModel(methods = {AdapterMethod.LORA, AdapterMethod.REFT})
 * public class TinyModel extends AbstractBlock {
 *     @Embeddings Block embedTokens;
 *     @Layers List<TinyLayer> layers;
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface AdaptableModel {
    /**
     * The adapter methods this model supports. The processor checks that the declared roles are
     * enough for each of them.
     *
     * @return the supported methods
     */
    AdapterMethod[] methods();
}
