package io.github.djladapters.runtime.architecture;

import ai.djl.ndarray.NDArray;

/**
 * A model's inputs after the token embedding lookup, as an {@link InputExtension} sees and changes
 * them. Prompt tuning prepends virtual-token embeddings and extends the rest to match, as PEFT does.
 *
 * @param embeddings the input embeddings, {@code [batch, seq, hidden]}
 * @param attentionMask {@code [batch, seq]}, 1 attends and 0 is padding; null when the model got none
 * @param positionIds {@code [batch, seq]}, or {@code [seq]} when every row has the same positions,
 *     or null when the model derives positions itself
 * @param tokenTypeIds {@code [batch, seq]}, or null for a model without token types
 */
public record ModelInputs(NDArray embeddings, NDArray attentionMask, NDArray positionIds, NDArray tokenTypeIds) {}
