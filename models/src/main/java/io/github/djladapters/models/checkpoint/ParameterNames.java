package io.github.djladapters.models.checkpoint;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.bindings.ModulePaths;
import java.util.Collections;
import java.util.Map;

/**
 * The one mapping from Hugging Face tensor names to a model's parameters: a parameter's name is the
 * module path of the block that owns it ({@link ModulePaths}) plus its local name, such as
 * {@code encoder.layer.0.attention.self.query} + {@code weight}. It holds for any block tree whose
 * children are registered under Hugging Face module names and whose parameters are named as in
 * PyTorch ({@code weight}, {@code bias}).
 */
public final class ParameterNames {

    private ParameterNames() {}

    /**
     * Every parameter below {@code root} by Hugging Face name, depth first.
     *
     * @param root the model
     * @return unmodifiable name to parameter
     */
    public static Map<String, Parameter> of(Block root) {
        return Collections.unmodifiableMap(ModulePaths.parameters(root));
    }
}
