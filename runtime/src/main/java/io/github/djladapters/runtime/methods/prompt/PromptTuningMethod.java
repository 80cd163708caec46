package io.github.djladapters.runtime.methods.prompt;

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
 * Prompt tuning ({@link PromptTuningConfig}): learned virtual-token embeddings before the inputs,
 * attached to the model's input hook. See {@code docs/methods/prompt-tuning.md}.
 */
public final class PromptTuningMethod extends AbstractMethodProvider<PromptTuningConfig> {

    /** Creates the method; {@link java.util.ServiceLoader} calls this. */
    public PromptTuningMethod() {
        super(PromptTuningConfig.class, "prompt_tuning", AdapterMethod.PROMPT_TUNING);
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
    public void validate(PromptTuningConfig config) {
        PromptInputs.checkCommon(config.numVirtualTokens(), config.numTransformerSubmodules(), "prompt tuning");
        if (config.promptTuningInit() == PromptTuningInit.TEXT && !config.inferenceMode()
                && (config.promptTuningInitText() == null || config.tokenizerNameOrPath() == null)) {
            throw new IllegalArgumentException("prompt_tuning_init TEXT needs prompt_tuning_init_text and "
                    + "tokenizer_name_or_path");
        }
    }

    @Override
    public List<AdapterAttachment> attach(String name, PromptTuningConfig config, BoundModel model,
            AdapterActivation activation) {
        PromptInputs hook = PromptWeightsFactory.hook(model, activation, "prompt tuning");
        int dim = PromptWeightsFactory.tokenDim(model, config.tokenDim(), "prompt tuning");
        int submodules = PromptWeightsFactory.submodules(model, config.numTransformerSubmodules(), "prompt tuning");
        int rows = config.numVirtualTokens() * submodules;
        hook.putAdapter(name, new PromptTable(PromptWeightsFactory.initialTable(config, model, dim, rows))
                .submodules(submodules));
        return List.of(hook);
    }

    @Override
    public Optional<PeftFormat<PromptTuningConfig>> peftFormat() {
        return Optional.of(new PromptTuningPeftFormat());
    }

    @Override
    public Optional<MethodCommandLine> commandLine() {
        return Optional.of(new PromptCommandLine());
    }
}
