package io.github.djladapters.samples.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.bindings.Site;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * This module has the plugin jar on its run-time class path only: its classes are not visible to
 * the compiler here, so the model is created by class name and its bindings can only come from the
 * services file the processor wrote into the plugin jar.
 */
class PluginDiscoveryTest {

    private static final String PLUGIN_MODEL = "io.github.djladapters.samples.plugin.ToyGptModel";

    @Test
    void adaptersInitFindsPluginBindingsThroughTheClassPath() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = createPluginModel(manager);

            AdapterModel<Block> bound = Adapters.init(model);

            assertEquals(PLUGIN_MODEL + "_AdapterBindings", bound.bindings().getClass().getName());
            assertEquals(EnumSet.of(AdapterMethod.LORA, AdapterMethod.REFT, AdapterMethod.PROMPT_TUNING,
                            AdapterMethod.PREFIX_TUNING, AdapterMethod.ADAPTION_PROMPT),
                    bound.methods());
            assertEquals(2, bound.layerCount());
            assertEquals("wte", bound.embeddingsPath());
            assertEquals("h.1.attn.c_attn", bound.modulePath(1, Site.QKV_PROJ));
            assertEquals("h.0.attn.c_proj", bound.modulePath(0, Site.O_PROJ));
            assertEquals("h.0.mlp.c_fc", bound.modulePath(0, Site.INTERMEDIATE_PROJ));
            assertEquals("h.1.mlp.c_proj", bound.modulePath(1, Site.OUTPUT_PROJ));
            assertEquals("h.0.ln_1", bound.modulePath(0, Site.PRE_SELF_ATTENTION));
            assertEquals("h.0.ln_2", bound.modulePath(0, Site.PRE_FFN));
            assertTrue(bound.bindings().qkvSplit(Site.QKV_PROJ).isEqualThirds());
        }
    }

    @Test
    void replacingThePluginsFusedProjectionChangesItsOutput() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = createPluginModel(manager);
            AdapterModel<Block> bound = Adapters.init(model);
            NDList ids = new NDList(manager.create(new long[][] {{1, 5, 9, 2}}));
            NDArray before = model.forward(new ParameterStore(manager, false), ids, false).head();

            Block original = bound.block(0, Site.QKV_PROJ);
            Block scaled = new ScaledBlock(original, 0.5f);
            bound.replace(0, Site.QKV_PROJ, scaled);
            NDArray after = model.forward(new ParameterStore(manager, false), ids, false).head();

            assertFalse(before.allClose(after, 1e-4, 1e-4, false), "halving layer 0's q/k/v must change the output");
            assertTrue(model.getParameters().keys().stream()
                            .anyMatch(key -> key.contains("c_attn") && key.endsWith("weight")),
                    "the wrapper's parameters keep the c_attn name: " + model.getParameters().keys());

            bound.replace(0, Site.QKV_PROJ, original);
            NDArray restored = model.forward(new ParameterStore(manager, false), ids, false).head();
            assertTrue(before.contentEquals(restored), "putting the original back restores the output exactly");
        }
    }

    private static Block createPluginModel(NDManager manager) throws ReflectiveOperationException {
        Class<?> type = Class.forName(PLUGIN_MODEL);
        return (Block) type.getMethod("createInitialized", NDManager.class).invoke(null, manager);
    }

    /** Multiplies the output of a wrapped block by a constant; stands in for an adapter wrapper. */
    private static final class ScaledBlock extends AbstractBlock {
        private final Block inner;
        private final float factor;

        ScaledBlock(Block inner, float factor) {
            this.inner = addChildBlock("inner", inner);
            this.factor = factor;
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                ai.djl.util.PairList<String, Object> params) {
            return new NDList(inner.forward(store, inputs, training).head().mul(factor));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inner.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            inner.initialize(manager, dataType, inputShapes);
        }
    }

}
