package io.github.djladapters.runtime;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.testmodel.TinyInterfaces;
import io.github.djladapters.runtime.testmodel.TinyModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdaptersTest {

    /** A model nobody declared. */
    static final class UndeclaredModel extends AbstractBlock {
        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            return inputs;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void undeclaredModelGetsAMessageSayingHowToDeclareIt() {
        String message = assertThrows(IllegalStateException.class, () -> Adapters.init(new UndeclaredModel()))
                .getMessage();
        assertTrue(message.contains("no adapter bindings for " + UndeclaredModel.class.getName()), message);
        assertTrue(message.contains("@AdaptableModel") && message.contains("djl-adapters-processor"), message);
        assertTrue(message.contains("@AdapterInterface(target = UndeclaredModel.class)"), message);
        assertTrue(message.contains("Adapters.init(model, AdapterModelInterface.builder()"), message);
        assertTrue(message.contains("Bindings found on the class path: "), message);
    }

    @Test
    void namingATypeWithoutGeneratedBindingsFails() {
        TinyModel model = new TinyModel(manager, false);
        String message = assertThrows(IllegalStateException.class, () -> Adapters.init(model, String.class)).getMessage();
        assertTrue(message.contains("no adapter bindings were generated for java.lang.String"), message);
    }

    @Test
    void prefixTuningNeedsAttentionThatExposesKeysAndValues() {
        TinyModel model = new TinyModel(manager, false);
        AdapterModelInterface wrongAttention = TinyInterfaces.separate()
                .adapterMethods(AdapterMethod.LORA, AdapterMethod.PREFIX_TUNING).layerSelfAttn("mlp")
                .attnQProj("up_proj").attnKProj("up_proj").attnVProj("up_proj").attnOProj("down_proj").build();
        String message = assertThrows(IllegalStateException.class, () -> Adapters.init(model, wrongAttention))
                .getMessage();
        assertTrue(message.contains("site SELF_ATTENTION of layer 0 (declared at mlp)"), message);
        assertTrue(message.contains("KeyValueAttention"), message);
        Adapters.init(model, TinyInterfaces.separate().adapterMethods(AdapterMethod.PREFIX_TUNING).build());
    }
}
