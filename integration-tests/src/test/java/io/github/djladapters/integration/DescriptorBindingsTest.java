package io.github.djladapters.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code Adapters.init} with the bindings the processor generated for the {@link TinyDescriptor} descriptor. */
class DescriptorBindingsTest {

    /** A model nobody declared. */
    static final class UndeclaredModel extends AbstractBlock {
        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
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
    void descriptorWithoutTargetIsUsedOnlyWhenNamed() {
        TinyModel model = new TinyModel(manager, false);
        AdapterModel<TinyModel> bound = Adapters.init(model, TinyDescriptor.class);
        assertInstanceOf(TinyDescriptor_AdapterBindings.class, bound.bindings());
        assertSame(TinyDescriptor.class, bound.bindings().declaringType());
        assertEquals(Set.of(AdapterMethod.LORA), bound.methods());
        assertEquals("layers.0.mlp.up_proj", bound.modulePath(0, Site.INTERMEDIATE_PROJ));
        assertSame(model.layers.get(1).selfAttn.qProj, bound.moduleTree().get("layers.1.self_attn.q_proj"));

        String message = assertThrows(IllegalStateException.class, () -> Adapters.init(model)).getMessage();
        assertTrue(message.contains("no adapter bindings for " + TinyModel.class.getName()), message);
    }

    @Test
    void undeclaredModelMessageListsTheDeclarationsFoundOnTheClassPath() {
        String message = assertThrows(IllegalStateException.class, () -> Adapters.init(new UndeclaredModel()))
                .getMessage();
        assertTrue(message.contains("Bindings found on the class path: "), message);
        assertTrue(message.contains(TinyDescriptor.class.getName()), message);
        assertTrue(message.contains(DeclaredTinyModel.class.getName()), message);
    }
}
