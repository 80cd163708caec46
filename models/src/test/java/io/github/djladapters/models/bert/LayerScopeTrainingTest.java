package io.github.djladapters.models.bert;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.blocks.LayerScopeSteps;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import org.junit.jupiter.api.Test;

/**
 * Training through per-layer scopes, which free each layer's intermediates before the backward
 * pass, gives the same losses and gradients as keeping every intermediate in the caller's manager
 * until {@code backward} (the earlier policy), with garbage collected and freed memory reused between
 * forward and backward.
 */
class LayerScopeTrainingTest {

    @Test
    void loraStepsMatchKeepingEveryIntermediate() {
        LayerScopeSteps.assertBothPoliciesAgree(LayerScopeTrainingTest::bertWithLora, LayerScopeTrainingTest::inputs);
    }

    @Test
    void scopedTrainingStepsLeaveTheArrayCountsWhereTheyWere() {
        LayerScopeSteps.assertArrayCountsStayFlat(LayerScopeTrainingTest::bertWithLora, LayerScopeTrainingTest::inputs);
    }

    private static Block bertWithLora(NDManager manager) {
        Engine.getInstance().setRandomSeed(11);
        BertModel base = new BertModel(TinyCheckpoints.tinyBert());
        base.setInitializer(new NormalInitializer(0.2f), p -> true);
        base.initialize(manager);
        AdapterModel<BertModel> adapters = Adapters.init(base);
        adapters.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).loraDropout(0.1)
                .targetModules("query", "value", "dense").build());
        adapters.trainAdapter("lora");
        return adapters.model();
    }

    private static NDList inputs(NDManager manager) {
        return new NDList(manager.create(new long[][] {{1, 5, 9, 3, 2}, {1, 4, 4, 2, 0}}),
                manager.create(new long[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 0}}));
    }
}
