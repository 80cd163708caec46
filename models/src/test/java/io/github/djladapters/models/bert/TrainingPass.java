package io.github.djladapters.models.bert;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;

/**
 * The output and gradients of one forward and backward of a BERT (loss: mean of squares) with the
 * engine's random seed fixed, for tests that compare two ways of computing a training step. The
 * gradients are zeroed afterwards, so the next pass starts from zero.
 *
 * @param output the forward's output, flattened
 * @param gradients each trainable parameter's gradient, in the given order
 */
record TrainingPass(float[] output, List<float[]> gradients) {

    /**
     * Runs one pass.
     *
     * @param manager the manager under which the pass's arrays live (a sub-manager, closed after)
     * @param model the model
     * @param trainable the parameters whose gradients are read and zeroed
     * @param seed the engine's random seed (dropout masks)
     * @param ids token ids {@code [batch][tokens]}
     * @param mask the attention mask, or null for all ones
     * @param training whether the forward runs in training mode
     * @return the output and gradients
     */
    static TrainingPass run(NDManager manager, Block model, List<Parameter> trainable, int seed, long[][] ids,
            long[][] mask, boolean training) {
        Engine.getInstance().setRandomSeed(seed);
        try (NDManager scope = manager.newSubManager()) {
            float[] output;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray input = scope.create(ids);
                NDArray attention = mask == null ? scope.ones(input.getShape(), input.getDataType())
                        : scope.create(mask);
                NDArray out = model.forward(new ParameterStore(scope, false), new NDList(input, attention), training)
                        .head();
                output = out.toFloatArray();
                collector.backward(out.square().mean());
            }
            List<float[]> gradients = new ArrayList<>();
            for (Parameter p : trainable) {
                NDArray gradient = p.getArray().getGradient();
                gradients.add(gradient.toFloatArray());
                gradient.subi(gradient);
            }
            return new TrainingPass(output, gradients);
        }
    }
}
