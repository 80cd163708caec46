package io.github.djladapters.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares adapter support for a model you cannot edit, with dotted child-name paths as in the
 * Python {@code AdapterModelInterface}. Put the role annotations on the same type, each with the
 * path of that part: model-level roles relative to the model, layer roles relative to one layer,
 * q/k/v/o roles relative to the attention block.
 *
 * <pre>{@code
 * @AdapterInterface(methods = {AdapterMethod.LORA, AdapterMethod.REFT}, target = Gemma2Model.class)
 * @Embeddings("embed_tokens") @Layers("layers") @SelfAttention("self_attn")
 * @QProj("q_proj") @KProj("k_proj") @VProj("v_proj") @OProj("o_proj")
 * @IntermediateProj("mlp.up_proj") @OutputProj("mlp.down_proj")
 * public interface Gemma2Adapters {}
 * }</pre>
 *
 * <p>Paths name DJL child blocks without DJL's two-digit prefix ({@code 01q_proj} is
 * {@code q_proj}). When {@link #target()} names a class, the processor checks the paths against its
 * fields at compile time (a segment may be the field name or its snake_case form) and
 * {@code Adapters.init(model)} finds the bindings for models of that class; the paths are always
 * resolved again against the real child blocks at {@code init}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface AdapterInterface {
    /**
     * The adapter methods this declaration supports.
     *
     * @return the supported methods
     */
    AdapterMethod[] methods();

    /**
     * The model class the paths describe, or {@code Void.class} when it is only known at run time
     * (then pass the descriptor to {@code Adapters.init(model, Descriptor.class)}).
     *
     * @return the target model class
     */
    Class<?> target() default Void.class;
}
