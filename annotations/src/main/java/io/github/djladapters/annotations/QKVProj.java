package io.github.djladapters.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a fused query/key/value projection of an attention block (GPT-2's {@code c_attn},
 * ModernBERT's {@code Wqkv}), in place of {@link QProj}, {@link KProj} and {@link VProj}. Mirrors
 * {@code attn_qkv_proj} of the Python {@code AdapterModelInterface}.
 *
 * <p>The fused output is the concatenation {@code [q | k | v]} along the last axis. By default it
 * splits into equal thirds; for grouped-query attention give all three sizes explicitly.
 *
 * <pre>{@code
 * @QKVProj Block cAttn;                                        // equal thirds
 * @QKVProj(qSize = 4096, kSize = 1024, vSize = 1024) Block wqkv; // grouped-query attention
 * @QKVProj("attn.c_attn")                                      // on an @AdapterInterface type
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.FIELD, ElementType.TYPE})
public @interface QKVProj {
    /**
     * The dotted child-name path of the fused projection; only on an {@link AdapterInterface} type.
     *
     * @return the path, for example {@code "attn.c_attn"}
     */
    String value() default "";

    /**
     * Output features that belong to the query; {@code -1} (the default) splits in equal thirds.
     *
     * @return the query size
     */
    int qSize() default -1;

    /**
     * Output features that belong to the key; {@code -1} (the default) splits in equal thirds.
     *
     * @return the key size
     */
    int kSize() default -1;

    /**
     * Output features that belong to the value; {@code -1} (the default) splits in equal thirds.
     *
     * @return the value size
     */
    int vSize() default -1;
}
