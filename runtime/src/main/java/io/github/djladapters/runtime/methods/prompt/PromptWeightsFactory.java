package io.github.djladapters.runtime.methods.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.architecture.EncoderDecoderModel;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.BoundModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ServiceLoader;

/** What prompt tuning and P-tuning share when they attach: the model's input hook and word embeddings. */
final class PromptWeightsFactory {

    private PromptWeightsFactory() {}

    /** The input hook already on the model, or a new one (not yet installed). */
    static PromptInputs hook(BoundModel model, AdapterActivation activation, String method) {
        InputExtendingModel inputs = model.inputHooks().orElseThrow(() -> new IllegalArgumentException(
                method + " needs a model whose inputs adapters can extend (InputExtendingModel); "
                        + model.model().getClass().getSimpleName() + " is not one"));
        if (inputs.inputExtension().orElse(null) instanceof PromptInputs existing) {
            return existing;
        }
        return new PromptInputs(inputs, activation);
    }

    /**
     * PEFT's {@code num_transformer_submodules} on this model: 1 for an encoder or a decoder; for an
     * encoder-decoder model 2 unless configured 1 (PEFT's default for {@code SEQ_2_SEQ_LM}, the task
     * under which PEFT applies prompts to such a model).
     */
    static int submodules(BoundModel model, Integer configured, String method) {
        if (model.model() instanceof EncoderDecoderModel) {
            return configured == null ? 2 : configured;
        }
        if (configured != null && configured != 1) {
            throw new IllegalArgumentException(method + " num_transformer_submodules " + configured
                    + " is for encoder-decoder models; " + model.model().getClass().getSimpleName() + " takes 1");
        }
        return 1;
    }

    /** PEFT's {@code num_layers}: the model's layers, the encoder's for an encoder-decoder model. */
    static int numLayers(BoundModel model) {
        return model.model() instanceof EncoderDecoderModel encoderDecoder ? encoderDecoder.encoderLayerCount()
                : model.layerCount();
    }

    /** The word embedding table, {@code [vocab, token_dim]}. */
    static Parameter wordEmbeddings(BoundModel model) {
        Block embeddings = model.embeddings();
        return embeddings.getParameters().values().stream()
                .filter(p -> p.getArray() != null && p.getArray().getShape().dimension() == 2)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the embeddings at '" + model.embeddingsPath()
                        + "' have no [vocab, dim] weight"));
    }

    /** The embedding width, checked against a configured {@code token_dim}. */
    static int tokenDim(BoundModel model, Integer configured, String method) {
        int dim = (int) wordEmbeddings(model).getArray().getShape().get(1);
        if (configured != null && configured != dim) {
            throw new IllegalArgumentException(method + " token_dim is " + configured
                    + " but the model's embeddings are " + dim + " wide");
        }
        return dim;
    }

    /** The starting table of prompt tuning, {@code rows = num_virtual_tokens * num_transformer_submodules}. */
    static NDArray initialTable(PromptTuningConfig config, BoundModel model, int dim, int rows) {
        NDArray words = wordEmbeddings(model).getArray();
        NDManager manager = words.getManager();
        int n = rows;
        if (config.inferenceMode()) {
            return manager.zeros(new Shape(n, dim)); // a saved adapter: its values are read next
        }
        return switch (config.promptTuningInit()) {
            case RANDOM -> manager.randomNormal(new Shape(n, dim));
            case SAMPLE_VOCAB -> rows(words, manager.randomInteger(0, words.getShape().get(0), new Shape(n),
                    DataType.INT64));
            case TEXT -> rows(words, manager.create(textIds(config, n)));
        };
    }

    /** The text's token ids repeated and cut to {@code n}, as PEFT's TEXT initialisation. */
    static long[] textIds(PromptTuningConfig config, int n) {
        if (config.promptTuningInitText() == null || config.tokenizerNameOrPath() == null) {
            throw new IllegalArgumentException("prompt_tuning_init TEXT needs prompt_tuning_init_text and "
                    + "tokenizer_name_or_path (a tokenizer.json or a folder holding one)");
        }
        PromptTextTokenizer tokenizer = ServiceLoader.load(PromptTextTokenizer.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("prompt_tuning_init TEXT needs a "
                        + PromptTextTokenizer.class.getName() + " on the class path (the models module has one)"));
        long[] ids;
        try {
            ids = tokenizer.encode(Path.of(config.tokenizerNameOrPath()), config.promptTuningInitText());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer_name_or_path " + config.tokenizerNameOrPath(), e);
        }
        if (ids.length == 0) {
            throw new IllegalArgumentException("prompt_tuning_init_text '" + config.promptTuningInitText()
                    + "' has no tokens");
        }
        long[] repeated = new long[n];
        for (int i = 0; i < n; i++) {
            repeated[i] = ids[i % ids.length];
        }
        return repeated;
    }

    private static NDArray rows(NDArray table, NDArray ids) {
        NDArray picked = table.get(ids);
        NDArray copy = picked.duplicate(); // the adapter's own memory, not a view of the base weights
        picked.close();
        ids.close();
        return copy;
    }
}
