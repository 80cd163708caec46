package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.architecture.RealTokens;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Training through per-layer scopes, which free each layer's intermediates before the backward
 * pass, gives the same losses and gradients as keeping every intermediate in the caller's manager
 * until {@code backward} (the earlier policy, rebuilt here by running the layers in the caller's
 * manager), with garbage collected and freed memory reused between forward and backward.
 */
class LayerScopeTrainingTest {

    private static final int STEPS = 3;

    @Test
    void loraStepsMatchKeepingEveryIntermediate() {
        List<float[]> scoped = steps(true);
        List<float[]> kept = steps(false);
        assertEquals(kept.size(), scoped.size());
        boolean someNonZero = false;
        for (int i = 0; i < kept.size(); i++) {
            for (float g : scoped.get(i)) {
                assertTrue(Float.isFinite(g), "finite loss and gradients");
                someNonZero |= g != 0;
            }
            assertArrayEquals(kept.get(i), scoped.get(i), "loss or gradient " + i);
        }
        assertTrue(someNonZero, "the steps computed non-zero gradients");
    }

    /** Per step: the loss, then every trainable parameter's gradient. */
    private static List<float[]> steps(boolean layerScopes) {
        List<float[]> seen = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(11);
            BertModel base = new BertModel(TinyCheckpoints.tinyBert());
            base.setInitializer(new NormalInitializer(0.2f), p -> true);
            base.initialize(manager);
            AdapterModel<BertModel> adapters = Adapters.init(base);
            adapters.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).loraDropout(0.1)
                    .targetModules("query", "value", "dense").build());
            adapters.trainAdapter("lora");
            BertModel model = adapters.model();
            List<Parameter> trainable = new ArrayList<>();
            model.getParameters().values().forEach(p -> {
                if (p.requiresGradient()) {
                    trainable.add(p);
                }
            });
            FusedAdam adamW = FusedAdam.adamW(trainable, manager, 0.05f);
            for (int step = 0; step < STEPS; step++) {
                Engine.getInstance().setRandomSeed(100 + step); // the same dropout masks on both paths
                try (NDManager scope = manager.newSubManager()) {
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray ids = scope.create(new long[][] {{1, 5, 9, 3, 2}, {1, 4, 4, 2, 0}});
                        NDArray mask = scope.create(new long[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 0}});
                        ParameterStore ps = new ParameterStore(scope, false);
                        NDArray out = layerScopes
                                ? model.forward(ps, new NDList(ids, mask), true).head()
                                : inCallersManager(model, ps, ids, mask);
                        NDArray loss = out.square().mean();
                        reuseFreedMemory(scope);
                        collector.backward(loss);
                        seen.add(loss.toFloatArray());
                    }
                    for (Parameter p : trainable) {
                        seen.add(p.getArray().getGradient().toFloatArray());
                    }
                    adamW.step();
                }
            }
        }
        return seen;
    }

    /** BertModel's forward with every layer's intermediates left in the caller's manager. */
    private static NDArray inCallersManager(BertModel model, ParameterStore ps, NDArray ids, NDArray mask) {
        NDArray types = ids.getManager().zeros(ids.getShape(), DataType.INT64);
        NDArray hidden = model.embeddings.forward(ps, new NDList(ids, types), true, null).head();
        try (RealTokens.Scope window = RealTokens.open(mask, hidden.getShape().get(1))) {
            NDArray maskBias = BertModel.maskBias(mask);
            for (BertLayer layer : model.layers) {
                hidden = layer.forward(ps, new NDList(hidden, maskBias), true, null).head();
            }
        }
        return hidden;
    }

    private static void reuseFreedMemory(NDManager scope) {
        for (int i = 0; i < 3; i++) {
            System.gc();
            scope.zeros(new Shape(4096, 64), DataType.FLOAT32).addi(1e30f);
        }
    }
}
