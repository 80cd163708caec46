package io.github.djladapters.runtime.methods.prompt;

/** How prompt tuning initialises its virtual-token embeddings (PEFT's {@code PromptTuningInit}). */
public enum PromptTuningInit {
    /** Independent N(0, 1) values, as {@code torch.nn.Embedding} initialises. */
    RANDOM,
    /**
     * The word embeddings of {@code prompt_tuning_init_text} tokenized with special tokens, the ids
     * repeated and cut to {@code num_virtual_tokens}.
     */
    TEXT,
    /** The word embeddings of token ids drawn uniformly from the vocabulary. */
    SAMPLE_VOCAB
}
