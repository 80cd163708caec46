package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A LoRA training step of a tiny BERT with BERT's dropouts and LoRA dropout on, with the masks drawn by
 * {@link DropoutMask} (attention written out, LoRA's sum added into the base product) and with
 * libtorch's dropout: every LoRA gradient matches central finite differences of the loss under the
 * same masks (the engine's seed set again before each forward), and the step is reproducible from
 * the seed.
 */
class DropoutMaskTrainingTest {

    private static final long[][] IDS = {{1, 5, 9, 3, 2}, {1, 4, 4, 2, 0}};
    private static final long[][] MASK = {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 0}};

    @AfterEach
    void switchBack() {
        DropoutMask.setEnabled(true);
        DropoutMask.setFloatMaskInPlace(true);
    }

    @Test
    void floatMasksWrittenInPlaceGiveTheBooleanMaskPathsOutputAndGradients() {
        String key = "ai.djl.pytorch.num_threads";
        String before = System.getProperty(key);
        Engine.getInstance(); // loads libtorch, which JniUtils calls
        int torchThreads = JniUtils.getNumThreads();
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<BertModel> adapters = model(manager);
            List<Parameter> trainable = trainable(adapters);
            for (String threads : new String[] {"1", "2"}) {
                System.setProperty(key, threads); // the masks' chunks are drawn in parallel above one thread
                JniUtils.setNumThreads(Integer.parseInt(threads));
                DropoutMask.setFloatMaskInPlace(false);
                TrainingPass booleanMasks = step(manager, adapters, trainable, 9, true);
                DropoutMask.setFloatMaskInPlace(true);
                TrainingPass inPlace = step(manager, adapters, trainable, 9, true);
                assertArrayEquals(booleanMasks.output(), inPlace.output(), 0f, threads + " thread(s)");
                for (int i = 0; i < trainable.size(); i++) {
                    assertArrayEquals(booleanMasks.gradients().get(i), inPlace.gradients().get(i), 0f,
                            "gradient of parameter " + i + ", " + threads + " thread(s)");
                    assertTrue(!Arrays.equals(new float[inPlace.gradients().get(i).length], inPlace.gradients().get(i)),
                            "gradient of parameter " + i + " is not all zero");
                }
            }
        } finally {
            JniUtils.setNumThreads(torchThreads);
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    @Test
    void gradientsWithJavaMasksMatchFiniteDifferences() {
        checkGradients(true);
    }

    @Test
    void gradientsWithLibtorchDropoutMatchFiniteDifferences() {
        checkGradients(false);
    }

    @Test
    void stepsAreReproducibleFromTheSeedAndDropoutActs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<BertModel> adapters = model(manager);
            List<Parameter> trainable = trainable(adapters);
            TrainingPass first = step(manager, adapters, trainable, 5, true);
            TrainingPass again = step(manager, adapters, trainable, 5, true);
            TrainingPass other = step(manager, adapters, trainable, 6, true);
            TrainingPass eval = step(manager, adapters, trainable, 5, false);
            assertArrayEquals(first.output(), again.output(), 0f);
            for (int i = 0; i < first.gradients().size(); i++) {
                assertArrayEquals(first.gradients().get(i), again.gradients().get(i), 0f, "gradient " + i);
            }
            assertFalse(Arrays.equals(first.output(), other.output()), "another seed draws other masks");
            assertFalse(Arrays.equals(first.output(), eval.output()), "dropout changes a training forward");
        }
    }

    private static void checkGradients(boolean javaMasks) {
        DropoutMask.setEnabled(javaMasks);
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<BertModel> adapters = model(manager);
            List<Parameter> trainable = trainable(adapters);
            TrainingPass result = step(manager, adapters, trainable, 21, true);
            int checked = 0;
            for (int p = 0; p < trainable.size(); p++) {
                NDArray array = trainable.get(p).getArray();
                float[] values = array.toFloatArray();
                float[] gradient = result.gradients().get(p);
                // the two largest entries of each gradient, where a finite difference is well above rounding
                Integer[] order = new Integer[gradient.length];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                Arrays.sort(order, (a, b) -> Float.compare(Math.abs(gradient[b]), Math.abs(gradient[a])));
                for (int k = 0; k < 2; k++) {
                    int i = order[k];
                    double eps = 1e-2;
                    double up = lossWith(manager, adapters, trainable, array, values, i, (float) (values[i] + eps));
                    double down = lossWith(manager, adapters, trainable, array, values, i, (float) (values[i] - eps));
                    double numeric = (up - down) / (2 * eps);
                    assertEquals(numeric, gradient[i], 0.03 * Math.abs(numeric) + 1e-6,
                            "parameter " + p + " element " + i + (javaMasks ? " (Java masks)" : " (libtorch dropout)"));
                    checked++;
                }
            }
            assertTrue(checked >= 8, "checked " + checked + " gradient entries");
        }
    }

    private static double lossWith(NDManager manager, AdapterModel<BertModel> adapters, List<Parameter> trainable,
            NDArray array, float[] values, int index, float value) {
        float[] changed = values.clone();
        changed[index] = value;
        array.set(changed);
        try {
            float[] out = step(manager, adapters, trainable, 21, true).output();
            double sum = 0;
            for (float o : out) {
                sum += (double) o * o;
            }
            return sum / out.length;
        } finally {
            array.set(values);
        }
    }

    private static AdapterModel<BertModel> model(NDManager manager) {
        Engine.getInstance().setRandomSeed(11);
        BertModel base = new BertModel(TinyCheckpoints.tinyBert());
        base.setInitializer(new NormalInitializer(0.2f), p -> true);
        base.initialize(manager);
        AdapterModel<BertModel> adapters = Adapters.init(base);
        adapters.addAdapter("lora", LoRAConfig.builder().r(2).loraAlpha(4).loraDropout(0.2)
                .initLoraWeights(LoRAInit.NONE).targetModules("query", "value").build());
        adapters.trainAdapter("lora");
        return adapters;
    }

    private static List<Parameter> trainable(AdapterModel<BertModel> adapters) {
        List<Parameter> trainable = new ArrayList<>();
        adapters.model().getParameters().values().forEach(p -> {
            if (p.requiresGradient()) {
                trainable.add(p);
            }
        });
        return trainable;
    }

    /** Output and gradients of one forward and backward (loss: mean of squares) under {@code seed}. */
    private static TrainingPass step(NDManager manager, AdapterModel<BertModel> adapters, List<Parameter> trainable,
            int seed, boolean training) {
        return TrainingPass.run(manager, adapters.model(), trainable, seed, IDS, MASK, training);
    }
}
