package io.github.djladapters.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.QkvSplit;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.testmodel.TinyDescriptorBindings;
import io.github.djladapters.runtime.testmodel.TinyInterfaces;
import io.github.djladapters.runtime.testmodel.TinyModel;
import io.github.djladapters.runtime.testmodel.TinyModelBindings;
import java.util.Set;
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

    /** A subclass, which inherits its superclass's bindings. */
    static final class TinyModelVariant extends TinyModel {
        TinyModelVariant(NDManager manager) {
            super(manager, false);
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
        assertTrue(message.contains(TinyDescriptorBindings.TinyDescriptor.class.getName()), message);
    }

    @Test
    void serviceLoaderFindsTheBindingsOfTheModelClass() {
        TinyModel model = new TinyModel(manager, false);
        AdapterModel<TinyModel> bound = Adapters.init(model);
        assertInstanceOf(TinyModelBindings.class, bound.bindings());
        assertSame(model, bound.model());
        assertEquals(Set.of(AdapterMethod.LORA, AdapterMethod.PREFIX_TUNING), bound.methods());
        assertEquals("layers.1.self_attn.q_proj", bound.modulePath(1, Site.Q_PROJ));
        assertEquals("selfAttn.qProj", bound.bindings().declaredAt(Site.Q_PROJ));

        Linear query = Linear.builder().setUnits(TinyModel.HIDDEN).build();
        bound.replace(1, Site.Q_PROJ, query);
        assertSame(query, bound.moduleTree().get("layers.1.self_attn.q_proj"));
    }

    @Test
    void subclassUsesTheBindingsOfItsNearestSuperclass() {
        AdapterModel<TinyModelVariant> bound = Adapters.init(new TinyModelVariant(manager));
        assertInstanceOf(TinyModelBindings.class, bound.bindings());
    }

    @Test
    void descriptorWithoutTargetIsUsedOnlyWhenNamed() {
        TinyModel model = new TinyModel(manager, false);
        AdapterModel<TinyModel> bound = Adapters.init(model, TinyDescriptorBindings.TinyDescriptor.class);
        assertInstanceOf(TinyDescriptorBindings.class, bound.bindings());
        assertEquals("layers.0.mlp.up_proj", bound.modulePath(0, Site.INTERMEDIATE_PROJ));

        String message = assertThrows(IllegalStateException.class, () -> Adapters.init(model, String.class)).getMessage();
        assertTrue(message.contains("no adapter bindings were generated for java.lang.String"), message);
        message = assertThrows(IllegalArgumentException.class,
                () -> Adapters.init(new UndeclaredModel(), TinyModel.class)).getMessage();
        assertTrue(message.contains("are for " + TinyModel.class.getName()), message);
    }

    @Test
    void siteOutsideTheChildTreeFailsAtInitNamingSiteLayerAndDeclaration() {
        TinyModel model = new TinyModel(manager, false);
        Block stray = Linear.builder().setUnits(TinyModel.HIDDEN).build();
        ModelBindings<TinyModel> strayOutput = new TinyModelBindingsWith(1, Site.O_PROJ, stray);
        String message = assertThrows(IllegalStateException.class, () -> Adapters.init(model, strayOutput)).getMessage();
        assertTrue(message.contains("site O_PROJ of layer 1 (declared at selfAttn.oProj)"), message);
        assertTrue(message.contains("not a registered child of the model"), message);
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

    /** The registered test bindings, except that one site of one layer gives a different block. */
    private static final class TinyModelBindingsWith extends DelegatingBindings {
        private final int layer;
        private final Site site;
        private final Block block;

        TinyModelBindingsWith(int layer, Site site, Block block) {
            this.layer = layer;
            this.site = site;
            this.block = block;
        }

        @Override
        public Block get(TinyModel model, int layer, Site site) {
            return layer == this.layer && site == this.site ? block : super.get(model, layer, site);
        }
    }

    /** Forwards everything to {@link TinyModelBindings}. */
    private static class DelegatingBindings implements ModelBindings<TinyModel> {
        private final TinyModelBindings delegate = new TinyModelBindings();

        @Override
        public Class<TinyModel> modelType() {
            return delegate.modelType();
        }

        @Override
        public Class<?> declaringType() {
            return delegate.declaringType();
        }

        @Override
        public Set<AdapterMethod> methods() {
            return delegate.methods();
        }

        @Override
        public Set<Site> sites() {
            return delegate.sites();
        }

        @Override
        public QkvSplit qkvSplit(Site site) {
            return delegate.qkvSplit(site);
        }

        @Override
        public Block embeddings(TinyModel model) {
            return delegate.embeddings(model);
        }

        @Override
        public void replaceEmbeddings(TinyModel model, Block with) {
            delegate.replaceEmbeddings(model, with);
        }

        @Override
        public int layerCount(TinyModel model) {
            return delegate.layerCount(model);
        }

        @Override
        public Block layer(TinyModel model, int layer) {
            return delegate.layer(model, layer);
        }

        @Override
        public Block get(TinyModel model, int layer, Site site) {
            return delegate.get(model, layer, site);
        }

        @Override
        public void replace(TinyModel model, int layer, Site site, Block with) {
            delegate.replace(model, layer, site, with);
        }

        @Override
        public String declaredAt(Site site) {
            return delegate.declaredAt(site);
        }
    }
}
