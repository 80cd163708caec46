package io.github.djladapters.models.checkpoint;

import io.github.djladapters.runtime.safetensors.TensorInfo;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * What the checkpoint readers of this module share: the index of tensors by name built when the
 * source is opened, the description used in messages, and the check that a tensor asked for is in
 * the index and floating before any byte is read ({@link TensorSource#floatingTensor}).
 */
public abstract class IndexedTensorSource implements TensorSource {

    private final String description;
    private final Map<String, TensorInfo> tensors;

    /**
     * A source over an index built at opening.
     *
     * @param description what the source reads, for messages (a file)
     * @param tensors every tensor by name, in file order; unmodifiable
     */
    protected IndexedTensorSource(String description, Map<String, TensorInfo> tensors) {
        this.description = description;
        this.tensors = tensors;
    }

    /**
     * Reads a tensor that the index holds and that is floating.
     *
     * @param name the tensor's name
     * @param info its entry in the index
     * @return a new direct float32 buffer in native order, positioned at 0
     * @throws IOException when the data cannot be read
     */
    protected abstract ByteBuffer read(String name, TensorInfo info) throws IOException;

    @Override
    public final Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public final ByteBuffer readFloat32(String name) throws IOException {
        return read(name, floatingTensor(name));
    }

    @Override
    public final String describe() {
        return description;
    }
}
