package io.github.djladapters.runtime.methods.adaptionprompt;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.methods.AdapterWeights;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One adaption prompt at one attention block: {@code adaption_prompt [1, adapter_len, hidden]} and
 * {@code adaption_gate [1]} (PEFT's names and shapes).
 */
final class AdaptionPromptWeights extends AdapterWeights {

    final Parameter prompt;
    final Parameter gate;

    AdaptionPromptWeights(NDArray prompt, NDArray gate) {
        this.prompt = newParameter("adaption_prompt", prompt);
        this.gate = newParameter("adaption_gate", gate);
    }

    /**
     * The parameters under PEFT's suffixes.
     *
     * @return {@code adaption_prompt} and {@code adaption_gate}
     */
    Map<String, Parameter> namedParameters() {
        Map<String, Parameter> named = new LinkedHashMap<>();
        named.put("adaption_prompt", prompt);
        named.put("adaption_gate", gate);
        return named;
    }
}
