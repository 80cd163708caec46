package io.github.djladapters.models.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.prompt.PromptTuningConfig;
import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;

/**
 * The extended encoder mask that prompt tuning remembers for generation neither keeps an array alive after
 * its manager closes nor hands the decoder a closed one.
 */
class T5PromptedEncoderMaskTest {

    private static final int VIRTUAL = 3;

    @Test
    void theRememberedMaskDoesNotOutliveItsManager() {
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration model = promptTuned(manager);
            WeakReference<NDArray> hidden = encodeAndClose(model, manager);
            for (int i = 0; i < 20 && hidden.get() != null; i++) {
                System.gc();
            }
            assertNull(hidden.get(), "nothing holds the closed encoder output");
        }
    }

    @Test
    void aClosedRememberedMaskIsNotHandedToTheDecoder() {
        try (NDManager manager = NDManager.newBaseManager()) {
            T5ForConditionalGeneration model = promptTuned(manager);
            NDArray ids = manager.create(new long[][] {{5, 9, 3, 1}, {4, 8, 1, 0}});
            NDArray mask = manager.create(new long[][] {{1, 1, 1, 1}, {1, 1, 1, 0}});
            NDArray decoderIds = manager.create(new long[][] {{0}, {0}});
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray encoded;
            float[] whileOpen;
            try (NDManager encoding = manager.newSubManager()) {
                NDArray encodingIds = ids.duplicate();
                encodingIds.attach(encoding); // the output and its extended mask join the manager of the ids
                encoded = model.encode(ps, encodingIds, mask);
                whileOpen = model.decoderLogits(ps, decoderIds, encoded, mask, null, true).toFloatArray();
                encoded.attach(manager); // the output moves on, its extended mask closes with the encoding's manager
            }
            assertFalse(encoded.isReleased());
            NDArray logits = model.decoderLogits(ps, decoderIds, encoded, mask, null, true);
            assertArrayEquals(whileOpen, logits.toFloatArray(), 1e-6f,
                    "ones before the given mask, as the extension made it");
            assertEquals(40, logits.getShape().get(2));
        }
    }

    /** Encodes in a manager that is then closed; only a weak reference to the output leaves this frame. */
    private static WeakReference<NDArray> encodeAndClose(T5ForConditionalGeneration model, NDManager manager) {
        try (NDManager call = manager.newSubManager()) {
            NDArray ids = call.create(new long[][] {{5, 9, 3, 1}});
            NDArray encoded = model.encode(new ParameterStore(call, false), ids, call.ones(ids.getShape(),
                    DataType.INT64));
            assertEquals(new Shape(1, VIRTUAL + 4, 16), encoded.getShape());
            return new WeakReference<>(encoded);
        }
    }

    private static T5ForConditionalGeneration promptTuned(NDManager manager) {
        Engine.getInstance().setRandomSeed(7);
        T5ForConditionalGeneration base = new T5ForConditionalGeneration(TinyT5Checkpoints.tiny("relu", false));
        base.setInitializer(new NormalInitializer(0.2f), p -> true);
        base.initialize(manager, DataType.FLOAT32, new Shape(1, 1), new Shape(1, 1));
        AdapterModel<T5ForConditionalGeneration> adapters = Adapters.init(base);
        adapters.addAdapter("prompt", PromptTuningConfig.builder().numVirtualTokens(VIRTUAL).build());
        adapters.setActiveAdapters("prompt");
        return adapters.model();
    }
}
