package io.github.djladapters.runtime.methods.prompt;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AbstractMethodProvider;
import io.github.djladapters.runtime.methods.BoundModel;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import io.github.djladapters.runtime.methods.PeftFormat;
import io.github.djladapters.runtime.methods.CompositionKind;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Optional;

/**
 * P-tuning ({@link PromptEncoderConfig}): virtual-token embeddings computed by an MLP or LSTM
 * encoder, put before the inputs like prompt tuning's. See {@code docs/methods/prompt-tuning.md}.
 */
public final class PTuningMethod extends AbstractMethodProvider<PromptEncoderConfig> {

    /** Creates the method; {@link java.util.ServiceLoader} calls this. */
    public PTuningMethod() {
        super(PromptEncoderConfig.class, "p_tuning", AdapterMethod.PROMPT_TUNING);
    }

    /**
     * Stack only: several active prompts are concatenated before the input (the Adapters library has
     * no block for prompt tuning). A batch routed per row gives every row room for every routed
     * prompt, so a Parallel branch's output would not have the shape of its adapter run alone.
     */
    @Override
    public Set<CompositionKind> compositions() {
        return EnumSet.of(CompositionKind.STACK);
    }

    @Override
    public void validate(PromptEncoderConfig config) {
        PromptInputs.checkCommon(config.numVirtualTokens(), config.numTransformerSubmodules(), "P-tuning");
        if (config.encoderHiddenSize() != null && config.encoderHiddenSize() < 1) {
            throw new IllegalArgumentException("P-tuning encoder_hidden_size must be at least 1, got "
                    + config.encoderHiddenSize());
        }
        if (config.encoderNumLayers() < 1) {
            throw new IllegalArgumentException("P-tuning encoder_num_layers must be at least 1, got "
                    + config.encoderNumLayers());
        }
        if (config.encoderDropout() != 0) {
            throw new IllegalArgumentException("P-tuning encoder_dropout " + config.encoderDropout()
                    + " is not supported: only 0 (PEFT's default)");
        }
    }

    @Override
    public List<AdapterAttachment> attach(String name, PromptEncoderConfig config, BoundModel model,
            AdapterActivation activation) {
        PromptInputs hook = PromptWeightsFactory.hook(model, activation, "P-tuning");
        int dim = PromptWeightsFactory.tokenDim(model, config.tokenDim(), "P-tuning");
        NDManager manager = PromptWeightsFactory.wordEmbeddings(model).getArray().getManager();
        int submodules = PromptWeightsFactory.submodules(model, config.numTransformerSubmodules(), "P-tuning");
        int n = config.numVirtualTokens() * submodules; // PEFT's total_virtual_tokens
        int hidden = config.encoderHiddenSize() == null ? dim : config.encoderHiddenSize();
        VirtualTokenWeights weights;
        if (config.inferenceMode()) {
            weights = new PromptTable(manager.zeros(new Shape(n, dim))); // PEFT saved the encoder's output
        } else if (config.encoderReparameterizationType() == PromptEncoderReparameterization.LSTM) {
            weights = new PromptLstmEncoder(n, dim, hidden, config.encoderNumLayers(), manager);
        } else {
            weights = new PromptMlpEncoder(n, dim, hidden, manager);
        }
        hook.putAdapter(name, weights.submodules(submodules));
        return List.of(hook);
    }

    @Override
    public Optional<PeftFormat<PromptEncoderConfig>> peftFormat() {
        return Optional.of(new PTuningPeftFormat());
    }

    @Override
    public Optional<MethodCommandLine> commandLine() {
        return Optional.of(new PTuningCommandLine());
    }
}
