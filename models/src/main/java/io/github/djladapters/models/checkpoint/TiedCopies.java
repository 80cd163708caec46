package io.github.djladapters.models.checkpoint;

import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.io.IOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Checkpoint keys that repeat another tensor (a tied LM head saved as {@code lm_head.weight}, T5's
 * {@code encoder.embed_tokens.weight}): a model that ties them reads the source only, so a copy may
 * be skipped only when it holds exactly the source's values; a different copy would be a different
 * model, and is refused instead of being dropped.
 */
public final class TiedCopies {

    private TiedCopies() {}

    /**
     * The copies present in {@code weights}, checked equal to their sources.
     *
     * @param weights the checkpoint
     * @param copyToSource copy key to the key the model reads instead
     * @return the copy keys that are present (to pass to {@link CheckpointLoader#ignoreUnexpected})
     * @throws CheckpointException naming the copy when it differs from its source or the source is absent
     * @throws IOException when reading fails
     */
    public static Set<String> verified(TensorSource weights, Map<String, String> copyToSource) throws IOException {
        Set<String> present = new HashSet<>();
        for (Map.Entry<String, String> tie : copyToSource.entrySet()) {
            if (!weights.tensors().containsKey(tie.getKey())) {
                continue;
            }
            if (!weights.tensors().containsKey(tie.getValue()) || !sameValues(weights, tie.getKey(), tie.getValue())) {
                throw new CheckpointException(weights.describe() + ": '" + tie.getKey() + "' differs from '"
                        + tie.getValue() + "', which this model ties it to; the checkpoint needs an untied model");
            }
            present.add(tie.getKey());
        }
        return present;
    }

    /**
     * Whether two tensors have the same shape and the same float32 values, bit for bit.
     *
     * @param weights the checkpoint
     * @param a a key
     * @param b another key
     * @return true when equal
     * @throws IOException when reading fails
     */
    public static boolean sameValues(TensorSource weights, String a, String b) throws IOException {
        TensorInfo first = weights.tensors().get(a);
        TensorInfo second = weights.tensors().get(b);
        if (!first.shape().equals(second.shape()) || !first.dtype().isFloating() || !second.dtype().isFloating()) {
            return false;
        }
        return weights.readFloat32(a).equals(weights.readFloat32(b));
    }
}
