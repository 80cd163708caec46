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
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.QkvSplit;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code Adapters.init} finds and checks the bindings the processor generated for {@link DeclaredTinyModel},
 * and uses those of the {@link TinyDescriptor} descriptor only when named.
 */
class GeneratedBindingsDiscoveryTest {

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

    /** A subclass, which inherits its superclass's bindings. */
    static final class DeclaredTinyModelVariant extends DeclaredTinyModel {
        DeclaredTinyModelVariant(NDManager manager) {
            super(manager);
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
    void serviceLoaderFindsTheGeneratedBindingsOfTheModelClass() {
        DeclaredTinyModel model = new DeclaredTinyModel(manager);
        AdapterModel<DeclaredTinyModel> bound = Adapters.init(model);
        assertInstanceOf(DeclaredTinyModel_AdapterBindings.class, bound.bindings());
        assertSame(model, bound.model());
        assertEquals(Set.of(AdapterMethod.LORA, AdapterMethod.PREFIX_TUNING), bound.methods());
        assertEquals(Set.of(Site.SELF_ATTENTION, Site.Q_PROJ, Site.K_PROJ, Site.V_PROJ, Site.O_PROJ,
                Site.INTERMEDIATE_PROJ, Site.OUTPUT_PROJ, Site.PRE_SELF_ATTENTION, Site.PRE_FFN), bound.sites());
        assertEquals("layers.1.self_attn.q_proj", bound.modulePath(1, Site.Q_PROJ));
        assertEquals("layers.0.mlp.down_proj", bound.modulePath(0, Site.OUTPUT_PROJ));
        assertEquals("layers[].selfAttn.qProj", bound.bindings().declaredAt(Site.Q_PROJ));

        Linear query = Linear.builder().setUnits(TinyModel.HIDDEN).build();
        bound.replace(1, Site.Q_PROJ, query);
        assertSame(query, bound.moduleTree().get("layers.1.self_attn.q_proj"));
        assertSame(query, model.layers.get(1).selfAttn.qProj);
    }

    @Test
    void subclassUsesTheBindingsOfItsNearestSuperclass() {
        AdapterModel<DeclaredTinyModelVariant> bound = Adapters.init(new DeclaredTinyModelVariant(manager));
        assertInstanceOf(DeclaredTinyModel_AdapterBindings.class, bound.bindings());
    }

    @Test
    void bindingsNamedByDeclarationRejectAModelOfAnotherClass() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> Adapters.init(new UndeclaredModel(), DeclaredTinyModel.class)).getMessage();
        assertTrue(message.contains("are for " + DeclaredTinyModel.class.getName()), message);
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

    @Test
    void siteOutsideTheChildTreeFailsAtInitNamingSiteLayerAndDeclaration() {
        DeclaredTinyModel model = new DeclaredTinyModel(manager);
        Block stray = Linear.builder().setUnits(TinyModel.HIDDEN).build();
        ModelBindings<DeclaredTinyModel> strayOutput = new BindingsWith(1, Site.O_PROJ, stray);
        String message = assertThrows(IllegalStateException.class, () -> Adapters.init(model, strayOutput))
                .getMessage();
        assertTrue(message.contains("site O_PROJ of layer 1 (declared at layers[].selfAttn.oProj)"), message);
        assertTrue(message.contains("not a registered child of the model"), message);
    }

    /** The generated bindings, except that one site of one layer gives a different block. */
    private static final class BindingsWith implements ModelBindings<DeclaredTinyModel> {
        private final ModelBindings<DeclaredTinyModel> generated = new DeclaredTinyModel_AdapterBindings();
        private final int layer;
        private final Site site;
        private final Block block;

        BindingsWith(int layer, Site site, Block block) {
            this.layer = layer;
            this.site = site;
            this.block = block;
        }

        @Override
        public Block get(DeclaredTinyModel model, int layer, Site site) {
            return layer == this.layer && site == this.site ? block : generated.get(model, layer, site);
        }

        @Override
        public Class<DeclaredTinyModel> modelType() {
            return generated.modelType();
        }

        @Override
        public Class<?> declaringType() {
            return generated.declaringType();
        }

        @Override
        public Set<AdapterMethod> methods() {
            return generated.methods();
        }

        @Override
        public Set<Site> sites() {
            return generated.sites();
        }

        @Override
        public QkvSplit qkvSplit(Site site) {
            return generated.qkvSplit(site);
        }

        @Override
        public Block embeddings(DeclaredTinyModel model) {
            return generated.embeddings(model);
        }

        @Override
        public void replaceEmbeddings(DeclaredTinyModel model, Block with) {
            generated.replaceEmbeddings(model, with);
        }

        @Override
        public int layerCount(DeclaredTinyModel model) {
            return generated.layerCount(model);
        }

        @Override
        public Block layer(DeclaredTinyModel model, int layer) {
            return generated.layer(model, layer);
        }

        @Override
        public void replace(DeclaredTinyModel model, int layer, Site site, Block with) {
            generated.replace(model, layer, site, with);
        }

        @Override
        public String declaredAt(Site site) {
            return generated.declaredAt(site);
        }
    }
}
