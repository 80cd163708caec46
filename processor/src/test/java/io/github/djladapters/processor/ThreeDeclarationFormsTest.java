package io.github.djladapters.processor;

import static com.google.common.truth.Truth.assertThat;
import static com.google.common.truth.Truth.assertWithMessage;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.google.testing.compile.Compilation;
import com.google.testing.compile.CompilationSubject;
import com.google.testing.compile.JavaFileObjects;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.bindings.InterfaceBindings;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.Site;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same small model declared three ways gives the same bindings: annotated fields
 * ({@code @AdaptableModel} on {@code TinyRunModel}), an annotated descriptor
 * ({@code @AdapterInterface(target = TinyRunModel.class)} with child-name paths) and a runtime
 * {@link AdapterModelInterface} read from JSON with the Python field names. The first two are
 * compiled together by the processor and found through {@link ServiceLoader}; all three are run
 * against the model on the PyTorch engine (CPU).
 */
class ThreeDeclarationFormsTest {

    private static final int HIDDEN = 4;
    private static final int IN_FEATURES = 5;
    private static final int BATCH = 3;
    private static final int LAYERS = 2;

    /** The runtime form, written as the Python {@code AdapterModelInterface} would save it. */
    private static final String INTERFACE_JSON = """
            {
              "adapter_methods": ["lora"],
              "model_embeddings": "embed_tokens",
              "model_layers": "layers",
              "layer_self_attn": "self_attn",
              "layer_cross_attn": null,
              "attn_k_proj": "k_proj",
              "attn_q_proj": "q_proj",
              "attn_v_proj": "v_proj",
              "attn_o_proj": "o_proj",
              "attn_qkv_proj": null,
              "layer_intermediate_proj": "mlp.up_proj",
              "layer_output_proj": "mlp.down_proj",
              "layer_pre_self_attn": null,
              "layer_pre_cross_attn": null,
              "layer_pre_ffn": null,
              "layer_ln_1": null,
              "layer_ln_2": null
            }
            """;

    @TempDir
    static Path classOutput;

    private static URLClassLoader loader;
    private static Class<Block> modelType;
    private static Class<?> descriptorType;

    /** Annotated fields, annotated descriptor, runtime JSON: in that order everywhere below. */
    private static List<ModelBindings<Block>> forms;

    @BeforeAll
    static void compileTheModelAndTheDescriptor() throws IOException, ClassNotFoundException {
        Compilation compilation = TinyModelSources.compile(
                JavaFileObjects.forResource("models/run/TinyRunModel.java"),
                JavaFileObjects.forResource("models/run/TinyRunLayer.java"),
                JavaFileObjects.forResource("models/run/TinyRunAttention.java"),
                JavaFileObjects.forResource("models/run/TinyRunMlp.java"),
                JavaFileObjects.forResource("models/threeways/TinyRunAdapters.java"));
        CompilationSubject.assertThat(compilation).succeededWithoutWarnings();
        for (JavaFileObject file : compilation.generatedFiles()) {
            String path = file.toUri().getPath();
            if (path.startsWith("/CLASS_OUTPUT/")) {
                Path target = classOutput.resolve(path.substring("/CLASS_OUTPUT/".length()));
                Files.createDirectories(target.getParent());
                try (InputStream in = file.openInputStream()) {
                    Files.copy(in, target);
                }
            }
        }
        loader = new URLClassLoader(new URL[] {classOutput.toUri().toURL()},
                ThreeDeclarationFormsTest.class.getClassLoader());
        modelType = blockClass(loader.loadClass("run.TinyRunModel"));
        descriptorType = loader.loadClass("run.TinyRunAdapters");

        Map<Class<?>, ModelBindings<Block>> generated = new LinkedHashMap<>();
        for (ModelBindings<?> bindings : ServiceLoader.load(ModelBindings.class, loader)) {
            if (bindings.modelType() == modelType) {
                generated.put(bindings.declaringType(), cast(bindings));
            }
        }
        assertWithMessage("declaring types of the generated bindings for run.TinyRunModel")
                .that(generated.keySet()).containsExactly(modelType, descriptorType);
        ModelBindings<Block> runtime = new InterfaceBindings<>(modelType, AdapterModelInterface.class,
                AdapterModelInterface.fromJson(INTERFACE_JSON));
        forms = List.of(generated.get(modelType), generated.get(descriptorType), runtime);
    }

    @AfterAll
    static void closeLoader() throws IOException {
        loader.close();
    }

    @Test
    void eachFormNamesItsOwnDeclarationAndTheSameModelType() {
        assertThat(forms.get(0).getClass().getName()).isEqualTo("run.TinyRunModel_AdapterBindings");
        assertThat(forms.get(1).getClass().getName()).isEqualTo("run.TinyRunAdapters_AdapterBindings");
        assertThat(forms.get(1)).isInstanceOf(InterfaceBindings.class);
        assertThat(forms.get(2).declaringType()).isEqualTo(AdapterModelInterface.class);
        for (ModelBindings<Block> form : forms) {
            assertWithMessage(name(form)).that(form.modelType()).isEqualTo(modelType);
        }
    }

    @Test
    void allThreeFormsDeclareTheSameMethodsAndSites() {
        for (ModelBindings<Block> form : forms) {
            assertWithMessage("methods of " + name(form)).that(form.methods()).containsExactly(AdapterMethod.LORA);
            assertWithMessage("sites of " + name(form)).that(form.sites()).containsExactly(Site.SELF_ATTENTION,
                    Site.Q_PROJ, Site.K_PROJ, Site.V_PROJ, Site.O_PROJ, Site.INTERMEDIATE_PROJ,
                    Site.OUTPUT_PROJ).inOrder();
            assertWithMessage("methods of " + name(form)).that(form.methods()).isEqualTo(forms.get(0).methods());
            assertWithMessage("sites of " + name(form)).that(form.sites()).isEqualTo(forms.get(0).sites());
        }
    }

    @Test
    void allThreeFormsCountTheSameLayers() throws ReflectiveOperationException {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int layers : new int[] {1, LAYERS, 3}) {
                Block model = newModel(manager, layers);
                for (ModelBindings<Block> form : forms) {
                    assertWithMessage("layerCount of " + name(form)).that(form.layerCount(model)).isEqualTo(layers);
                }
            }
        }
    }

    @Test
    void allThreeFormsGiveTheSameHuggingFaceModulePaths() throws ReflectiveOperationException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = newModel(manager, LAYERS);
            for (ModelBindings<Block> form : forms) {
                assertWithMessage("embeddingsPath of " + name(form)).that(form.embeddingsPath(model))
                        .isEqualTo("embed_tokens");
                for (int layer = 0; layer < LAYERS; layer++) {
                    for (Site site : forms.get(0).sites()) {
                        assertWithMessage("modulePath(%s, %s) of %s", layer, site, name(form))
                                .that(form.modulePath(model, layer, site))
                                .isEqualTo(forms.get(0).modulePath(model, layer, site));
                    }
                }
                assertThat(form.modulePath(model, 0, Site.Q_PROJ)).isEqualTo("layers.0.self_attn.q_proj");
                assertThat(form.modulePath(model, 1, Site.SELF_ATTENTION)).isEqualTo("layers.1.self_attn");
                assertThat(form.modulePath(model, 1, Site.INTERMEDIATE_PROJ)).isEqualTo("layers.1.mlp.up_proj");
                assertThat(form.modulePath(model, 1, Site.OUTPUT_PROJ)).isEqualTo("layers.1.mlp.down_proj");
            }
        }
    }

    @Test
    void allThreeFormsReachTheVerySameBlocksOfOneModel() throws ReflectiveOperationException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = newModel(manager, LAYERS);
            ModelBindings<Block> reference = forms.get(0);
            for (ModelBindings<Block> form : forms) {
                assertWithMessage("embeddings of " + name(form)).that(form.embeddings(model))
                        .isSameInstanceAs(reference.embeddings(model));
                for (int layer = 0; layer < LAYERS; layer++) {
                    assertWithMessage("layer %s of %s", layer, name(form)).that(form.layer(model, layer))
                            .isSameInstanceAs(reference.layer(model, layer));
                    for (Site site : reference.sites()) {
                        assertWithMessage("get(%s, %s) of %s", layer, site, name(form))
                                .that(form.get(model, layer, site))
                                .isSameInstanceAs(reference.get(model, layer, site));
                    }
                }
            }
        }
    }

    @Test
    void replacingQProjThroughEachFormChangesEachModelTheSameWay() throws ReflectiveOperationException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x = manager.randomUniform(-1f, 1f, new Shape(BATCH, IN_FEATURES));
            List<Block> models = identicalModels(manager);
            NDArray before = forward(models.get(0), x, store);
            List<String> keysBefore = keys(models.get(0));
            for (Block model : models) {
                assertWithMessage("outputs of the identical models before replacement")
                        .that(forward(model, x, store).contentEquals(before)).isTrue();
            }

            Block first = null;
            List<NDArray> after = new ArrayList<>();
            for (int i = 0; i < forms.size(); i++) {
                ModelBindings<Block> form = forms.get(i);
                Block model = models.get(i);
                String weightKey = keyOf(model, form.get(model, 0, Site.Q_PROJ).getParameters().get("weight"));
                Block replacement = Linear.builder().setUnits(HIDDEN).build();
                replacement.initialize(manager, DataType.FLOAT32, new Shape(BATCH, HIDDEN));
                if (first == null) {
                    first = replacement;
                } else {
                    copyParameters(first, replacement);
                }
                form.replace(model, 0, Site.Q_PROJ, replacement);

                assertWithMessage("get after replace through " + name(form))
                        .that(form.get(model, 0, Site.Q_PROJ)).isSameInstanceAs(replacement);
                assertWithMessage("modulePath after replace through " + name(form))
                        .that(form.modulePath(model, 0, Site.Q_PROJ)).isEqualTo("layers.0.self_attn.q_proj");
                assertWithMessage("parameter %s after replace through %s", weightKey, name(form))
                        .that(model.getParameters().get(weightKey))
                        .isSameInstanceAs(replacement.getParameters().get("weight"));
                after.add(forward(model, x, store));
            }

            assertWithMessage("output after replacement through " + name(forms.get(0)))
                    .that(after.get(0).allClose(before, 1e-5, 1e-6, false)).isFalse();
            for (int i = 0; i < forms.size(); i++) {
                assertWithMessage("output after replacement through %s against %s", name(forms.get(i)),
                        name(forms.get(0))).that(after.get(i).allClose(after.get(0), 0, 1e-6, false)).isTrue();
                assertWithMessage("parameter keys after replacement through " + name(forms.get(i)))
                        .that(keys(models.get(i))).containsExactlyElementsIn(keysBefore).inOrder();
            }
        }
    }

    @Test
    void allThreeFormsRejectTheSameUndeclaredAndAttentionSites() throws ReflectiveOperationException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = newModel(manager, LAYERS);
            Block other = Linear.builder().setUnits(HIDDEN).build();
            for (ModelBindings<Block> form : forms) {
                assertThrows(IllegalArgumentException.class, () -> form.get(model, 0, Site.CROSS_Q_PROJ),
                        name(form));
                assertThrows(IllegalArgumentException.class, () -> form.replace(model, 0, Site.LAYER_NORM_1, other),
                        name(form));
                assertThrows(IllegalArgumentException.class, () -> form.qkvSplit(Site.QKV_PROJ), name(form));
                Block attention = form.get(model, 0, Site.SELF_ATTENTION);
                IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                        () -> form.replace(model, 0, Site.SELF_ATTENTION, attention), name(form));
                assertTrue(refused.getMessage().contains("SELF_ATTENTION is an attention block"), refused.getMessage());
                assertSame(attention, form.get(model, 0, Site.SELF_ATTENTION), name(form));
            }
        }
    }

    /** Three models of two layers with the same weights: the first's parameters copied into the others. */
    private static List<Block> identicalModels(NDManager manager) throws ReflectiveOperationException {
        List<Block> models = new ArrayList<>();
        for (int i = 0; i < forms.size(); i++) {
            Block model = newModel(manager, LAYERS);
            if (!models.isEmpty()) {
                copyParameters(models.get(0), model);
            }
            models.add(model);
        }
        return models;
    }

    private static Block newModel(NDManager manager, int layers) throws ReflectiveOperationException {
        Block model = modelType.getConstructor(int.class, int.class).newInstance(HIDDEN, layers);
        model.initialize(manager, DataType.FLOAT32, new Shape(BATCH, IN_FEATURES));
        return model;
    }

    private static void copyParameters(Block from, Block to) {
        assertThat(keys(to)).containsExactlyElementsIn(keys(from)).inOrder();
        for (Pair<String, Parameter> parameter : from.getParameters()) {
            NDArray target = to.getParameters().get(parameter.getKey()).getArray();
            target.set(parameter.getValue().getArray().toByteBuffer());
            assertThat(target.contentEquals(parameter.getValue().getArray())).isTrue();
        }
    }

    private static NDArray forward(Block model, NDArray x, ParameterStore store) {
        return model.forward(store, new NDList(x), false).singletonOrThrow();
    }

    private static List<String> keys(Block model) {
        return model.getParameters().keys();
    }

    private static String keyOf(Block model, Parameter parameter) {
        for (Pair<String, Parameter> entry : model.getParameters()) {
            if (entry.getValue() == parameter) {
                return entry.getKey();
            }
        }
        throw new AssertionError("parameter not listed by the model");
    }

    private static String name(ModelBindings<Block> form) {
        return form.getClass().getSimpleName() + " declared by " + form.declaringType().getSimpleName();
    }

    @SuppressWarnings("unchecked") // the class was checked to be a Block
    private static Class<Block> blockClass(Class<?> type) {
        return (Class<Block>) type.asSubclass(Block.class);
    }

    @SuppressWarnings("unchecked") // modelType() was checked to be the Block subclass run.TinyRunModel
    private static ModelBindings<Block> cast(ModelBindings<?> bindings) {
        return (ModelBindings<Block>) bindings;
    }
}
