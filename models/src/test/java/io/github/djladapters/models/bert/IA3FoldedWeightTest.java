package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IA3's inference forward keeps the scaled weights between calls, and scales again when a vector
 * changes: new values put in place (a load), an optimizer step after a training forward. The
 * reference is the same forward with autograd on, which scales for that call only.
 */
class IA3FoldedWeightTest {

    @TempDir Path dir;

    @Test
    void keptScaledWeightsFollowTheVectors() throws Exception {
        try (TinyBertUnderTest tiny = new TinyBertUnderTest(dir)) {
            AdapterModel<BertModel> model = tiny.model();
            model.addAdapter("ia3", IA3Config.builder().targetModules("key", "value", "output.dense")
                    .feedforwardModules("output.dense").initIa3Weights(false).build());
            model.setActiveAdapters("ia3");
            float[] first = kept(tiny, model);
            assertArrayEquals(first, kept(tiny, model), "the kept weights give the same output");
            assertClose(reference(tiny, model), first);

            List<Parameter> vectors = model.model().getParameters().stream()
                    .filter(p -> p.getKey().contains("ia3")).map(p -> p.getValue()).toList();
            assertTrue(vectors.size() >= 6, "IA3 vectors: " + vectors.size());
            for (Parameter vector : vectors) {
                ArrayValues.replace(vector.getArray(), vector.getArray().mul(1.5f).add(0.1f));
            }
            float[] replaced = kept(tiny, model);
            assertClose(reference(tiny, model), replaced);
            assertFalse(close(first, replaced), "new vectors change the output");

            model.trainAdapter("ia3");
            FusedAdam adam = FusedAdam.adam(vectors, vectors.get(0).getArray().getManager(), 5e-2f);
            try (NDManager scope = tiny.manager().newSubManager()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray out = model.model().forward(new ParameterStore(scope, false), tiny.inputs(scope), true)
                            .head();
                    collector.backward(out.square().mean());
                }
                adam.step(); // in place: the vectors keep their arrays and tensors
            }
            float[] stepped = kept(tiny, model);
            assertClose(reference(tiny, model), stepped);
            assertFalse(close(replaced, stepped), "the step changes the output");
        }
    }

    /** The inference forward, autograd off: through kept scaled weights. */
    private static float[] kept(TinyBertUnderTest tiny, AdapterModel<BertModel> model) {
        try (GradientsOff off = GradientsOff.onThisThread()) {
            return tiny.run(model);
        }
    }

    /** The same forward with autograd on: the scaled weights record a gradient and are not kept. */
    private static float[] reference(TinyBertUnderTest tiny, AdapterModel<BertModel> model) {
        boolean was = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            return tiny.run(model);
        } finally {
            JniUtils.setGradMode(was);
        }
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertTrue(close(expected, actual), "outputs differ by more than 1e-5 of the largest value");
    }

    private static boolean close(float[] a, float[] b) {
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff <= 1e-5 * scale;
    }
}
