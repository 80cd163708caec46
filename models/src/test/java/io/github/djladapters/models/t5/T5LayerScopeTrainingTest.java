package io.github.djladapters.models.t5;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.blocks.LayerScopeSteps;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * T5 training through per-block scopes in the encoder and the decoder (and the cross-attention keys and
 * values projected in scopes of their own) gives the same LoRA losses and gradients as keeping every
 * intermediate until {@code backward}, and leaves no arrays behind.
 */
class T5LayerScopeTrainingTest {

    @Test
    void loraStepsMatchKeepingEveryIntermediate() {
        LayerScopeSteps.assertBothPoliciesAgree(t5("gated-gelu"), T5LayerScopeTrainingTest::inputs);
        LayerScopeSteps.assertBothPoliciesAgree(t5("relu"), T5LayerScopeTrainingTest::inputs);
    }

    @Test
    void scopedTrainingStepsLeaveTheArrayCountsWhereTheyWere() {
        LayerScopeSteps.assertArrayCountsStayFlat(t5("gated-gelu"), T5LayerScopeTrainingTest::inputs);
    }

    private static Function<NDManager, Block> t5(String feedForward) {
        return manager -> {
            Engine.getInstance().setRandomSeed(11);
            T5ForConditionalGeneration base =
                    new T5ForConditionalGeneration(TinyT5Checkpoints.tiny(feedForward, false));
            base.setInitializer(new NormalInitializer(0.2f), p -> true);
            base.initialize(manager, DataType.FLOAT32, new Shape(1, 1), new Shape(1, 1));
            AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(base);
            // k and v include the cross-attention projections, which the decoder runs once per block
            adapters.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).loraDropout(0.1)
                    .targetModules("q", "k", "v", "wo").build());
            adapters.trainAdapter("lora");
            return adapters.model();
        };
    }

    /** Encoder ids with padding in the second row, its mask, decoder ids. */
    private static NDList inputs(NDManager manager) {
        return new NDList(manager.create(new long[][] {{5, 9, 3, 7, 1}, {4, 4, 8, 1, 0}}),
                manager.create(new long[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 0}}),
                manager.create(new long[][] {{0, 6, 2}, {0, 3, 11}}));
    }
}
