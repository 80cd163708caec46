package io.github.djladapters.runtime;

import static io.github.djladapters.runtime.methods.ReferenceWeights.IDS;
import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Training a LoRA with DJL's gradient collector and Adam: only the adapter learns. */
class LoRATrainingTest {

    @Test
    void trainingTheAdapterLowersTheLossAndLeavesBaseWeightsBitIdentical() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("t", LoRAConfig.builder().r(4).loraAlpha(8).attnMatrices("q", "v")
                    .intermediateLora(true).build());
            peft.trainAdapter("t");
            Map<String, float[]> baseBefore = new HashMap<>();
            List<Parameter> trainable = new ArrayList<>();
            for (Pair<String, Parameter> p : peft.model().getParameters()) {
                if (p.getValue().requiresGradient()) {
                    trainable.add(p.getValue());
                    assertTrue(p.getKey().contains("t_lora"), p.getKey());
                } else {
                    baseBefore.put(p.getKey(), p.getValue().getArray().toFloatArray());
                }
            }
            Random random = new Random(7);
            float[] goal = new float[IDS.length * IDS[0].length * TinyModel.HIDDEN];
            for (int i = 0; i < goal.length; i++) {
                goal[i] = (float) random.nextGaussian();
            }
            NDArray target = manager.create(goal, new Shape(IDS.length, IDS[0].length, TinyModel.HIDDEN));
            NDArray input = manager.create(IDS);
            Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.02f)).build();
            List<Float> losses = new ArrayList<>();
            for (int step = 0; step < 60; step++) {
                try (NDManager scope = manager.newSubManager()) {
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray out = peft.model().forward(new ParameterStore(scope, false), new NDList(input), true)
                                .head();
                        NDArray loss = out.sub(target).square().mean();
                        collector.backward(loss);
                        losses.add(loss.getFloat());
                    }
                    for (Parameter p : trainable) {
                        NDArray gradient = p.getArray().getGradient();
                        adam.update(p.getId(), p.getArray(), gradient);
                        gradient.subi(gradient); // PyTorch accumulates gradients; start the next step at zero
                    }
                }
            }
            assertTrue(losses.get(losses.size() - 1) < 0.8 * losses.get(0),
                    "loss " + losses.get(0) + " -> " + losses.get(losses.size() - 1));
            for (Pair<String, Parameter> p : peft.model().getParameters()) {
                if (!p.getValue().requiresGradient()) {
                    assertFalse(p.getValue().getArray().hasGradient(), p.getKey() + " has no gradient");
                    assertArrayEquals(baseBefore.get(p.getKey()), p.getValue().getArray().toFloatArray(), p.getKey());
                }
            }
        }
    }
}
