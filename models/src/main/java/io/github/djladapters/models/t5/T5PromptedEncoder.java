package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.models.blocks.ForwardScope;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.ModelInputs;
import java.lang.ref.WeakReference;

/**
 * The encoder side of prompt tuning and P-tuning on T5, as PEFT's {@code PeftModelForSeq2SeqLM}
 * does it: the input extension of the model (virtual-token embeddings before the word embeddings,
 * ones before the attention mask) runs on the encoder's input only, and the decoder's
 * cross-attention reads the encoder output through the extended mask. The decoder's own inputs are
 * untouched. T5 has no position ids; in a batch routed per row, where a row does not count the
 * virtual tokens of adapters it does not use, the encoder's relative position bias is taken per row
 * from the positions the extension numbers. The extended mask of the last {@link #encodeForDecoding}
 * on each thread is remembered, so that generation, which hands the decoder the mask it gave the
 * encoder, attends with the extended one. It is held through weak references and used only while both
 * arrays are open, so that it never keeps an array alive nor hands the decoder a closed one.
 */
final class T5PromptedEncoder {

    /** An encoder output and the attention mask over its positions. */
    record Encoded(NDArray hidden, NDArray mask) {}

    /** An encoding remembered for {@link #maskFor}, held weakly so it never outlives its manager's arrays. */
    private record Remembered(WeakReference<NDArray> hidden, WeakReference<NDArray> mask) {

        /** The mask of {@code encoderHidden} when it is the remembered output and both are still open. */
        NDArray maskOf(NDArray encoderHidden) {
            NDArray mask = this.mask.get();
            return hidden.get() == encoderHidden && mask != null && !mask.isReleased()
                    && !encoderHidden.isReleased() ? mask : null;
        }
    }

    private final ThreadLocal<Remembered> last = new ThreadLocal<>();

    /**
     * {@link #encode}, remembering the extended mask of the output on this thread for {@link #maskFor}.
     *
     * @param model the model whose extension applies
     * @param ps the parameter store
     * @param embeddings the token embedding ({@code shared}, or an adapter wrapping it)
     * @param encoder the encoder stack
     * @param ids the input tokens {@code [B, S]}
     * @param mask 1 for tokens and 0 for padding, {@code [B, S]}
     * @return the output and its mask, owned by the manager of {@code ids}
     */
    Encoded encodeForDecoding(InputExtendingModel model, ParameterStore ps, Block embeddings, T5EncoderStack encoder,
            NDArray ids, NDArray mask) {
        Encoded encoded = encode(model, ps, embeddings, encoder, ids, mask, false, null);
        if (encoded.mask() != mask) {
            last.set(new Remembered(new WeakReference<>(encoded.hidden()), new WeakReference<>(encoded.mask())));
        } else {
            last.remove();
        }
        return encoded;
    }

    /**
     * Embeds the ids, applies the model's input extension and runs the encoder.
     *
     * @param model the model whose extension applies
     * @param ps the parameter store
     * @param embeddings the token embedding ({@code shared}, or an adapter wrapping it)
     * @param encoder the encoder stack
     * @param ids the input tokens {@code [B, S]}
     * @param mask 1 for tokens and 0 for padding, {@code [B, S]}
     * @param training whether this is a training pass
     * @param params passed through to the blocks
     * @return the output {@code [B, n + S, d_model]} and its mask {@code [B, n + S]} ({@code mask}
     *     itself when nothing was prepended), owned by the manager of {@code ids}
     */
    Encoded encode(InputExtendingModel model, ParameterStore ps, Block embeddings, T5EncoderStack encoder,
            NDArray ids, NDArray mask, boolean training, PairList<String, Object> params) {
        NDManager caller = ids.getManager();
        // a layer scope: in training too it frees the intermediates but keeps arrays over Java buffers for backward
        try (ForwardScope forward = ForwardScope.openLayer(caller, training)) {
            NDManager scope = forward.manager();
            forward.adopt(new NDList(ids, mask));
            NDArray embedded = embeddings.forward(ps, new NDList(ids), training, params).head();
            // positions every row shares: the extension numbers them per row only in a batch routed per row
            NDArray positions = scope.arange(0L, ids.getShape().get(1), 1L, DataType.INT64);
            ModelInputs inputs = model.extendInputs(new ModelInputs(embedded, mask, positions, null));
            NDArray extendedMask = inputs.attentionMask() == null ? mask : inputs.attentionMask();
            NDArray rowPositions = inputs.positionIds();
            NDArray out = rowPositions != null && rowPositions.getShape().dimension() == 2
                    ? encoder.hiddenStates(ps, inputs.embeddings(), extendedMask, rowPositions, training, params)
                    : encoder.hiddenStates(ps, inputs.embeddings(), extendedMask, training, params);
            out.attach(caller);
            if (extendedMask != mask) {
                extendedMask.attach(caller);
            }
            return new Encoded(out, extendedMask);
        }
    }

    /**
     * The mask over an encoder output: the one its {@link #encodeForDecoding} produced when it was the
     * last on this thread and both arrays are open, else {@code mask} with ones before it for the
     * positions the output has beyond it.
     *
     * @param hidden the encoder output {@code [B, n + S, d_model]}
     * @param mask the mask given to the encoder, {@code [B, S]}
     * @return {@code [B, n + S]}
     */
    NDArray maskFor(NDArray hidden, NDArray mask) {
        long extra = hidden.getShape().get(1) - mask.getShape().get(1);
        if (extra == 0) {
            return mask;
        }
        Remembered remembered = last.get();
        NDArray extended = remembered == null ? null : remembered.maskOf(hidden);
        if (extended != null) {
            return extended;
        }
        last.remove(); // a different or closed output: forget the earlier one
        return mask.getManager().ones(new Shape(mask.getShape().get(0), extra), mask.getDataType()).concat(mask, 1);
    }
}
