package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.methods.lora.LoRALayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * LoRA's up projection in training through a contiguous copy of {@code B^T} against the transposed view of
 * {@code B}: the same output and, within float rounding of differently ordered products, the same gradient
 * for every trainable parameter, on a small BERT with BERT's and LoRA's dropouts on and off, at one and at
 * two PyTorch threads.
 */
class LoRAUpProjectionTrainingTest {

    private static final int BATCH = 4;
    private static final int TOKENS = 32;

    @AfterEach
    void switchBack() {
        LoRALayer.contiguousUpInTraining(true);
    }

    @Test
    void contiguousUpProjectionGivesTheSameOutputAndGradientsWithDropout() {
        compare(0.1f, 0.2);
    }

    @Test
    void contiguousUpProjectionGivesTheSameOutputAndGradientsWithoutDropout() {
        compare(0f, 0.0);
    }

    private static void compare(float bertDropout, double loraDropout) {
        Engine.getInstance(); // loads libtorch, which JniUtils calls
        int torchThreads = JniUtils.getNumThreads();
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<BertModel> adapters = model(manager, bertDropout, loraDropout);
            List<Parameter> trainable = new ArrayList<>();
            adapters.model().getParameters().values().forEach(p -> {
                if (p.requiresGradient()) {
                    trainable.add(p);
                }
            });
            assertEquals(8, trainable.size(), "A and B of query and value in two layers");
            long[][] ids = new long[BATCH][TOKENS];
            Random random = new Random(3);
            for (long[] row : ids) {
                for (int t = 0; t < TOKENS; t++) {
                    row[t] = 3 + random.nextInt(37);
                }
            }
            for (int threads = 1; threads <= 2; threads++) {
                JniUtils.setNumThreads(threads);
                LoRALayer.contiguousUpInTraining(false);
                TrainingPass view = step(manager, adapters, trainable, ids);
                LoRALayer.contiguousUpInTraining(true);
                TrainingPass contiguous = step(manager, adapters, trainable, ids);
                assertArrayEquals(view.output(), contiguous.output(), 1e-6f, threads + " thread(s)");
                for (int i = 0; i < trainable.size(); i++) {
                    float[] expected = view.gradients().get(i);
                    float scale = 0;
                    for (float g : expected) {
                        scale = Math.max(scale, Math.abs(g));
                    }
                    assertTrue(scale > 0, "parameter " + i + " has a gradient");
                    assertArrayEquals(expected, contiguous.gradients().get(i), 1e-5f * scale,
                            "gradient of " + trainable.get(i).getName() + " (" + i + "), " + threads + " thread(s)");
                }
            }
        } finally {
            JniUtils.setNumThreads(torchThreads);
        }
    }

    private static AdapterModel<BertModel> model(NDManager manager, float bertDropout, double loraDropout) {
        Engine.getInstance().setRandomSeed(21);
        BertModel base = new BertModel(new BertConfig("bert", 40, 64, 2, 4, 128, "gelu", bertDropout, bertDropout,
                TOKENS, 2, 1e-12, 0, 3));
        base.setInitializer(new NormalInitializer(0.2f), p -> true);
        base.initialize(manager);
        AdapterModel<BertModel> adapters = Adapters.init(base);
        adapters.addAdapter("lora", LoRAConfig.builder().r(8).loraAlpha(16).loraDropout(loraDropout)
                .initLoraWeights(LoRAInit.NONE).targetModules("query", "value").build());
        adapters.trainAdapter("lora");
        return adapters;
    }

    /** Output and gradients of one forward and backward (loss: mean of squares), the engine's seed fixed. */
    private static TrainingPass step(NDManager manager, AdapterModel<BertModel> adapters, List<Parameter> trainable,
            long[][] ids) {
        return TrainingPass.run(manager, adapters.model(), trainable, 5, ids, null, true);
    }
}
