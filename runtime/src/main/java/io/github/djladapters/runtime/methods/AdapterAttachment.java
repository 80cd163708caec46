package io.github.djladapters.runtime.methods;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Something an adapter method put into a model at one place, holding the weights of one or more
 * adapters there, that installs and uninstalls itself. The {@code AdapterModel} facade keeps every
 * attachment and runs delete, disable, merge, train/freeze, save/load, summary and parameter counts
 * through this interface alone, whatever the method. The kinds:
 * <ul>
 *   <li>a block wrapper ({@link AdapterLayer}): put in place of the block at a module (LoRA and IA3 on
 *       projections, bottleneck adapters on a sub-block's output or around a layer norm,
 *       {@code modules_to_save} copies);</li>
 *   <li>a hook ({@link AdapterHook}): installed on a hook point that is not a block, such as the
 *       model's inputs ({@link io.github.djladapters.runtime.architecture.InputExtendingModel}, prompt
 *       tuning), an attention block's keys and values
 *       ({@link io.github.djladapters.runtime.architecture.KeyValueAttention}, prefix tuning) or each
 *       layer's output ({@link io.github.djladapters.runtime.architecture.LayerOutputExtendingModel},
 *       ReFT).</li>
 * </ul>
 * The forward pass asks the shared {@link AdapterActivation} (and per-row {@link AdapterRouting})
 * which adapters apply; see {@link AdapterUse#select}.
 */
public interface AdapterAttachment {

    /**
     * The module path of the place, the prefix of this attachment's tensor keys.
     *
     * @return for example {@code encoder.layer.0.attention.self.query}; {@code ""} for the model
     */
    String modulePath();

    /**
     * The adapters held here, in the order they were added.
     *
     * @return an unmodifiable view
     */
    Set<String> adapterNames();

    /**
     * The parameters of one adapter held here.
     *
     * @param name an adapter name
     * @return its parameters, empty when not held here
     */
    List<Parameter> parameters(String name);

    /**
     * Removes one adapter, unmerging it first, and frees its arrays.
     *
     * @param name an adapter name
     */
    void removeAdapter(String name);

    /**
     * Frees every adapter's arrays and forgets them, for an attachment already uninstalled.
     */
    void release();

    /**
     * Whether this attachment is in the model now.
     *
     * @return true between {@link #install()} and {@link #uninstall()}
     */
    boolean installed();

    /** Puts this attachment into the model. */
    void install();

    /** Takes this attachment out of the model, restoring what was there before. */
    void uninstall();

    /**
     * Whether merging an adapter writes into base weights here.
     *
     * @return false unless the method defines a merge
     */
    default boolean mergeable() {
        return false;
    }

    /**
     * Computes the merge of one adapter without writing it; only called when {@link #mergeable()}.
     *
     * @param name an adapter held here and not merged
     * @return the pending merge
     */
    default PendingMerge prepareMerge(String name) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " at '" + modulePath()
                + "' cannot be merged");
    }

    /**
     * Takes a merged adapter back out of the base weights; nothing when it is not merged.
     *
     * @param name an adapter name
     */
    default void unmergeAdapter(String name) {}

    /**
     * The adapters merged here, oldest first.
     *
     * @return an unmodifiable list
     */
    default List<String> mergedAdapters() {
        return List.of();
    }

    /**
     * One adapter's tensors, keyed by suffix relative to {@link #modulePath()} (PEFT's names where
     * PEFT has the method, such as {@code lora_A.weight}).
     *
     * @param name the adapter
     * @param manager receives copies
     * @return suffix to tensor, in a stable order
     */
    Map<String, NDArray> exportTensors(String name, NDManager manager);

    /**
     * The shapes {@link #importTensor} expects, in the order of {@link #exportTensors}.
     *
     * @param name the adapter
     * @return suffix to shape
     */
    Map<String, Shape> tensorShapes(String name);

    /**
     * Sets one tensor of one adapter; the caller has checked its shape.
     *
     * @param name the adapter
     * @param suffix a suffix of {@link #tensorShapes}
     * @param value the values
     */
    void importTensor(String name, String suffix, NDArray value);
}
