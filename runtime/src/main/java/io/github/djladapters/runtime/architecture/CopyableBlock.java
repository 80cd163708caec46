package io.github.djladapters.runtime.architecture;

import ai.djl.nn.Block;

/**
 * A block that can be put in PEFT's {@code modules_to_save}: it makes a new, uninitialised instance of
 * itself with the same structure (the same child blocks under the same names, the same parameters),
 * and {@link BlockCopies} then fills that instance with this block's parameter values through DJL's
 * own {@code saveParameters} / {@code loadParameters}.
 *
 * <pre>{@code
 * public final class MyHead extends AbstractBlock implements CopyableBlock {
 *     public Block newInstance() {
 *         return new MyHead(hidden, labels, dropout);   // the constructor arguments of this one
 *     }
 * }
 * }</pre>
 */
public interface CopyableBlock extends Block {

    /**
     * A new instance built like this one, not initialised.
     *
     * @return a block of the same class and structure
     */
    Block newInstance();
}
