package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.kernels.AttentionKernel;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.methods.prefix.PrefixTuningConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BERT's attention in PyTorch's fused kernel gives the outputs and the adapter gradients of the
 * attention written out in DJL ops, on a right-padded batch: with LoRA on query and value, and with
 * prefix tuning (extended keys, values and mask).
 */
class BertAttentionKernelTest {

    @TempDir Path dir;

    @AfterEach
    void switchBack() {
        AttentionKernel.setEnabled(true);
        DropoutMask.setEnabled(true);
    }

    @Test
    void loraStepMatchesTheWrittenOutAttention() throws Exception {
        compare(LoRAConfig.builder().r(4).loraAlpha(8).initLoraWeights(LoRAInit.NONE).targetModules("query", "value")
                .build());
    }

    @Test
    void prefixTuningMatchesTheWrittenOutAttention() throws Exception {
        compare(PrefixTuningConfig.builder().numVirtualTokens(3).build());
    }

    @Test
    void trainingStepsWithDropoutMatchTheWrittenOutAttention() throws Exception {
        compare(LoRAConfig.builder().r(4).loraAlpha(8).initLoraWeights(LoRAInit.NONE).targetModules("query", "value")
                .build(), true);
    }

    @Test
    void trainingDropoutRunsInTheKernel() throws Exception {
        try (TinyBertUnderTest tiny = new TinyBertUnderTest(dir)) {
            AdapterModel<BertModel> peft = tiny.model();
            try (NDManager scope = tiny.manager().newSubManager()) {
                NDList inputs = tiny.inputs(scope);
                float[] eval = peft.model().forward(new ParameterStore(scope, false), inputs, false).head()
                        .toFloatArray();
                float[] train = peft.model().forward(new ParameterStore(scope, false), inputs, true).head()
                        .toFloatArray();
                double difference = 0;
                for (int i = 0; i < eval.length; i++) {
                    assertTrue(Float.isFinite(train[i]));
                    difference = Math.max(difference, Math.abs(eval[i] - train[i]));
                }
                assertTrue(difference > 1e-3, "dropout (attention and hidden) changes a training forward");
            }
        }
    }

    private void compare(AdapterConfig config) throws Exception {
        compare(config, false);
    }

    private void compare(AdapterConfig config, boolean training) throws Exception {
        Result fused = run(config, true, training);
        Result written = run(config, false, training);
        assertEquals(written.output.length, fused.output.length);
        for (int i = 0; i < fused.output.length; i++) {
            assertEquals(written.output[i], fused.output[i], 2e-5, "output " + i);
        }
        assertFalse(fused.gradients.isEmpty());
        for (int p = 0; p < fused.gradients.size(); p++) {
            float[] a = fused.gradients.get(p);
            float[] b = written.gradients.get(p);
            double largest = 0;
            for (float g : b) {
                largest = Math.max(largest, Math.abs(g));
            }
            assertTrue(largest > 0, "parameter " + p + " gets a gradient");
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-4 * largest + 1e-7, "gradient of parameter " + p + " element " + i);
            }
        }
    }

    /**
     * Output and adapter gradients of the third of three passes (the TorchScript executor optimizes after
     * its first runs); in training, dropout draws from the same seeded generator in both paths.
     */
    private Result run(AdapterConfig config, boolean kernel, boolean training) throws Exception {
        AttentionKernel.setEnabled(kernel);
        // libtorch's dropout, which the kernel also draws: with DropoutMask's masks training attention
        // is written out on both paths (DropoutMaskTrainingTest checks that path's gradients)
        DropoutMask.setEnabled(false);
        Engine.getInstance().setRandomSeed(11);
        try (TinyBertUnderTest tiny = new TinyBertUnderTest(dir)) {
            AdapterModel<BertModel> peft = tiny.model();
            peft.addAdapter("a", config);
            peft.setActiveAdapters("a");
            peft.trainAdapter("a");
            List<Parameter> trainable = new ArrayList<>();
            peft.attachments().forEach(a -> trainable.addAll(a.parameters("a")));
            Result result = null;
            for (int pass = 0; pass < 3; pass++) {
                Engine.getInstance().setRandomSeed(100 + pass);
                try (NDManager scope = tiny.manager().newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray out = peft.model().forward(new ParameterStore(scope, false), tiny.inputs(scope), training)
                            .head();
                    float[] output = out.toFloatArray();
                    collector.backward(out.square().mean());
                    List<float[]> gradients = new ArrayList<>();
                    for (Parameter p : trainable) {
                        gradients.add(p.getArray().getGradient().toFloatArray());
                    }
                    result = new Result(output, gradients);
                }
            }
            return result;
        }
    }

    private record Result(float[] output, List<float[]> gradients) {}
}
