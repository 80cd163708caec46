package io.github.djladapters.models.t5;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import io.github.djladapters.models.checkpoint.CheckpointLoader;
import io.github.djladapters.models.checkpoint.ParameterNames;
import io.github.djladapters.models.checkpoint.PretrainedWeights;
import io.github.djladapters.models.checkpoint.TiedCopies;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Builds and saves T5 models as Hugging Face model directories (config.json + safetensors, single
 * or sharded), with transformers 5.x semantics: the LM head is tied to {@code shared} unless the
 * checkpoint holds an {@code lm_head.weight} that differs from {@code shared.weight} (whatever
 * {@code tie_word_embeddings} says), and the decoder output is scaled by {@code d_model^-0.5} as
 * {@code scale_decoder_outputs} (or, in older configs, {@code tie_word_embeddings}) says. The
 * tied copies {@code encoder.embed_tokens.weight} and {@code decoder.embed_tokens.weight} must
 * equal {@code shared.weight}; any other key that is not a parameter fails the load.
 *
 * <pre>{@code
 * T5ForConditionalGeneration t5 = T5Models.fromCheckpoint(Path.of("flan-t5-small"), manager);
 * T5EncoderModel encoder = T5Models.encoderFromCheckpoint(Path.of("flan-t5-small"), manager);
 * }</pre>
 */
public final class T5Models {

    private static final String LM_HEAD = "lm_head.weight";
    private static final String SHARED = "shared.weight";
    private static final String UNUSED_CROSS_BIAS = "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight";

    private T5Models() {}

    /**
     * Loads a model directory as an encoder-decoder with its LM head.
     *
     * @param dir the model directory
     * @param manager owns the parameters
     * @return the loaded model
     * @throws IOException when a file is missing or malformed, or the weights do not fit the config
     */
    public static T5ForConditionalGeneration fromCheckpoint(Path dir, NDManager manager) throws IOException {
        T5Config config = CheckpointDirectory.config(dir, T5Config::read, T5Config::parameterCount);
        try (TensorSource weights = CheckpointDirectory.open(dir)) {
            // transformers 5.x ties the head only when lm_head.weight is absent or equal to shared.weight
            boolean ownHead = weights.tensors().containsKey(LM_HEAD) && !sameValues(weights, LM_HEAD, SHARED);
            T5ForConditionalGeneration model = new T5ForConditionalGeneration(config.withTieWordEmbeddings(!ownHead));
            load(model, weights, manager);
            return model;
        }
    }

    /**
     * Loads the encoder of a model directory ({@code shared} and {@code encoder}).
     *
     * @param dir the model directory
     * @param manager owns the parameters
     * @return the loaded encoder
     * @throws IOException when a file is missing or malformed, or the weights do not fit the config
     */
    public static T5EncoderModel encoderFromCheckpoint(Path dir, NDManager manager) throws IOException {
        T5EncoderModel model = new T5EncoderModel(
                CheckpointDirectory.config(dir, T5Config::read, T5Config::parameterCount));
        try (TensorSource weights = CheckpointDirectory.open(dir)) {
            Set<String> decoderSide = new HashSet<>();
            for (String key : weights.tensors().keySet()) {
                if (key.startsWith("decoder.") || key.equals(LM_HEAD)) {
                    decoderSide.add(key); // an encoder-decoder checkpoint: the encoder reads its half
                }
            }
            load(model, weights, manager, decoderSide);
        }
        return model;
    }

    private static void load(Block model, TensorSource weights, NDManager manager) throws IOException {
        load(model, weights, manager, Set.of());
    }

    /**
     * Strict load: every key must be a parameter, except the tied copies of {@code shared}
     * ({@code encoder.embed_tokens.weight}, {@code decoder.embed_tokens.weight}, a tied
     * {@code lm_head.weight}), which must hold the same values, and the cross-attention position
     * bias transformers itself ignores.
     */
    private static void load(Block model, TensorSource weights, NDManager manager, Set<String> alsoIgnored)
            throws IOException {
        Set<String> ignored = new HashSet<>(alsoIgnored);
        ignored.add(UNUSED_CROSS_BIAS);
        Map<String, String> copies = new LinkedHashMap<>();
        for (String copy : new String[] {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight", LM_HEAD}) {
            if (!ParameterNames.of(model).containsKey(copy) && !alsoIgnored.contains(copy)) {
                copies.put(copy, SHARED);
            }
        }
        ignored.addAll(TiedCopies.verified(weights, copies));
        PretrainedWeights.load(model, weights, manager, new CheckpointLoader().basePrefixes()
                .ignoreUnexpected(ignored::contains));
    }

    private static boolean sameValues(TensorSource weights, String a, String b) throws IOException {
        return TiedCopies.sameValues(weights, a, b);
    }

    /**
     * Writes {@code config.json} and one {@code model.safetensors} with every parameter under its
     * Hugging Face name.
     *
     * @param model a loaded or initialised model
     * @param dir the directory to create or overwrite files in
     * @throws IOException when writing fails
     */
    public static void save(T5ForConditionalGeneration model, Path dir) throws IOException {
        CheckpointDirectory.save(model, model.config().toJson(), dir);
    }
}
