package io.github.djladapters.runtime.safetensors;

import java.io.IOException;

/**
 * A checkpoint or adapter file or directory that cannot be loaded: a malformed file, or tensors that
 * do not fit the model. The message names the file, the key and what was expected; the loaders that
 * throw it (the models' checkpoint loader, {@code AdapterModel.loadAdapter}) leave the model unchanged.
 */
public class CheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message.
     *
     * @param message what is wrong, naming file and key
     */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * An exception with a message and a cause.
     *
     * @param message what is wrong, naming file and key
     * @param cause the underlying failure
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
