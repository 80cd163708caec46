package io.github.djladapters.models.generation;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.blocks.LayerScopeSteps;
import io.github.djladapters.models.gpt2.GPT2LMHeadModel;
import io.github.djladapters.models.llama.LlamaForCausalLM;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * GPT-2 and Llama training through per-layer scopes ({@link DecoderStack}) gives the same LoRA losses and
 * gradients as keeping every intermediate until {@code backward}, and leaves no arrays behind.
 */
class DecoderLayerScopeTrainingTest {

    @Test
    void gpt2LoraStepsMatchKeepingEveryIntermediate() {
        LayerScopeSteps.assertBothPoliciesAgree(gpt2(), DecoderLayerScopeTrainingTest::inputs);
    }

    @Test
    void llamaLoraStepsMatchKeepingEveryIntermediate() {
        LayerScopeSteps.assertBothPoliciesAgree(llama(), DecoderLayerScopeTrainingTest::inputs);
    }

    @Test
    void scopedTrainingStepsLeaveTheArrayCountsWhereTheyWere() {
        LayerScopeSteps.assertArrayCountsStayFlat(gpt2(), DecoderLayerScopeTrainingTest::inputs);
        LayerScopeSteps.assertArrayCountsStayFlat(llama(), DecoderLayerScopeTrainingTest::inputs);
    }

    private static Function<NDManager, Block> gpt2() {
        return manager -> withLora(new GPT2LMHeadModel(TinyDecoderCheckpoints.tinyGpt2()), manager,
                "c_attn", "c_proj", "c_fc");
    }

    private static Function<NDManager, Block> llama() {
        return manager -> withLora(new LlamaForCausalLM(TinyDecoderCheckpoints.tinyLlama("llama", false)), manager,
                "q_proj", "v_proj", "down_proj");
    }

    private static <M extends Block> Block withLora(M base, NDManager manager, String... targets) {
        Engine.getInstance().setRandomSeed(11);
        base.setInitializer(new NormalInitializer(0.2f), p -> true);
        base.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
        AdapterModel<M> adapters = Adapters.init(base);
        adapters.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).loraDropout(0.1)
                .targetModules(targets).build());
        adapters.trainAdapter("lora");
        return adapters.model();
    }

    /** Two rows, the second left-padded. */
    private static NDList inputs(NDManager manager) {
        return new NDList(manager.create(new long[][] {{1, 5, 9, 3, 2}, {0, 4, 4, 7, 8}}),
                manager.create(new long[][] {{1, 1, 1, 1, 1}, {0, 1, 1, 1, 1}}));
    }
}
