package io.github.djladapters.processor;

import static com.google.common.truth.Truth.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.google.testing.compile.Compilation;
import com.google.testing.compile.CompilationSubject;
import com.google.testing.compile.JavaFileObjects;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.bindings.ModulePaths;
import io.github.djladapters.runtime.bindings.Site;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles a small DJL model with the processor, loads the result in a class loader over the class
 * output, finds the generated bindings through {@link ServiceLoader} and runs them against the
 * model on the PyTorch engine (CPU).
 */
class GeneratedBindingsRunTest {

    private static final int HIDDEN = 4;
    private static final int IN_FEATURES = 5;
    private static final int BATCH = 3;

    @TempDir
    static Path classOutput;

    private static URLClassLoader loader;

    @BeforeAll
    static void compileModel() throws IOException {
        Compilation compilation = TinyModelSources.compile(
                JavaFileObjects.forResource("models/run/TinyRunModel.java"),
                JavaFileObjects.forResource("models/run/TinyRunLayer.java"),
                JavaFileObjects.forResource("models/run/TinyRunAttention.java"),
                JavaFileObjects.forResource("models/run/TinyRunMlp.java"));
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
                GeneratedBindingsRunTest.class.getClassLoader());
        Engine.getInstance().setRandomSeed(1234);
    }

    @Test
    void bindingsAreFoundThroughTheServicesFile() throws Exception {
        ModelBindings<Block> bindings = bindings();
        assertThat(bindings.getClass().getName()).isEqualTo("run.TinyRunModel_AdapterBindings");
        assertThat(bindings.declaringType()).isEqualTo(bindings.modelType());
    }

    @Test
    void bindingsReadTheModelsParts() throws Exception {
        ModelBindings<Block> bindings = bindings();
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = newModel(manager);
            assertThat(bindings.layerCount(model)).isEqualTo(2);
            assertThat(bindings.sites()).containsExactly(Site.SELF_ATTENTION, Site.Q_PROJ, Site.K_PROJ, Site.V_PROJ,
                    Site.O_PROJ, Site.INTERMEDIATE_PROJ, Site.OUTPUT_PROJ).inOrder();
            assertThat(bindings.embeddingsPath(model)).isEqualTo("embed_tokens");
            assertThat(bindings.modulePath(model, 0, Site.Q_PROJ)).isEqualTo("layers.0.self_attn.q_proj");
            assertThat(bindings.modulePath(model, 1, Site.OUTPUT_PROJ)).isEqualTo("layers.1.mlp.down_proj");
            assertThat(bindings.modulePath(model, 1, Site.SELF_ATTENTION)).isEqualTo("layers.1.self_attn");
            assertThat(bindings.declaredAt(Site.Q_PROJ)).isEqualTo("layers[].selfAttn.qProj");
            assertThat(bindings.declaredAt(Site.INTERMEDIATE_PROJ)).isEqualTo("layers[].mlp.upProj");
            assertThat(ModulePaths.pathOf(model, bindings.layer(model, 1))).isEqualTo("layers.1");
        }
    }

    @Test
    void replacingQProjChangesTheForwardPassAndTheParameterList() throws Exception {
        ModelBindings<Block> bindings = bindings();
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = newModel(manager);
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x = manager.randomUniform(-1f, 1f, new Shape(BATCH, IN_FEATURES));
            NDArray before = model.forward(store, new NDList(x), false).singletonOrThrow();
            assertThat(close(before, byHand(bindings, model, x, store, null))).isTrue();

            Parameter oldWeight = bindings.get(model, 0, Site.Q_PROJ).getParameters().get("weight");
            String weightKey = keyOf(model, oldWeight);
            Block replacement = Linear.builder().setUnits(HIDDEN).build();
            replacement.initialize(manager, DataType.FLOAT32, new Shape(BATCH, HIDDEN));
            bindings.replace(model, 0, Site.Q_PROJ, replacement);

            assertThat(bindings.get(model, 0, Site.Q_PROJ)).isSameInstanceAs(replacement);
            assertThat(bindings.modulePath(model, 0, Site.Q_PROJ)).isEqualTo("layers.0.self_attn.q_proj");
            NDArray after = model.forward(store, new NDList(x), false).singletonOrThrow();
            assertThat(close(before, after)).isFalse();
            assertThat(close(after, byHand(bindings, model, x, store, replacement))).isTrue();
            assertThat(model.getParameters().get(weightKey))
                    .isSameInstanceAs(replacement.getParameters().get("weight"));
        }
    }

    @Test
    void attentionBlocksAndUndeclaredSitesAreNotReplaced() throws Exception {
        ModelBindings<Block> bindings = bindings();
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = newModel(manager);
            Block other = Linear.builder().setUnits(HIDDEN).build();
            IllegalArgumentException attention = assertThrows(IllegalArgumentException.class,
                    () -> bindings.replace(model, 0, Site.SELF_ATTENTION, other));
            assertThat(attention).hasMessageThat().contains("SELF_ATTENTION is an attention block");
            IllegalArgumentException undeclared = assertThrows(IllegalArgumentException.class,
                    () -> bindings.replace(model, 0, Site.CROSS_Q_PROJ, other));
            assertThat(undeclared).hasMessageThat().contains("TinyRunModel declares no site CROSS_Q_PROJ");
            assertThrows(IllegalArgumentException.class, () -> bindings.get(model, 0, Site.LAYER_NORM_1));
            assertThrows(IllegalArgumentException.class, () -> bindings.qkvSplit(Site.QKV_PROJ));
        }
    }

    @SuppressWarnings("unchecked")
    private static ModelBindings<Block> bindings() throws ClassNotFoundException {
        Class<?> modelType = loader.loadClass("run.TinyRunModel");
        for (ModelBindings<?> bindings : ServiceLoader.load(ModelBindings.class, loader)) {
            if (bindings.modelType() == modelType) {
                return (ModelBindings<Block>) bindings;
            }
        }
        throw new AssertionError("no bindings for " + modelType + " in the services file");
    }

    private static Block newModel(NDManager manager) throws ReflectiveOperationException {
        var constructor = loader.loadClass("run.TinyRunModel").getConstructor(int.class, int.class);
        Block model = (Block) constructor.newInstance(HIDDEN, 2);
        model.initialize(manager, DataType.FLOAT32, new Shape(BATCH, IN_FEATURES));
        return model;
    }

    /** The model's forward pass written out from its parts, with layer 0's q projection optionally swapped. */
    private static NDArray byHand(ModelBindings<Block> bindings, Block model, NDArray x, ParameterStore store,
            Block layer0Query) {
        NDArray h = run(bindings.embeddings(model), x, store);
        for (int layer = 0; layer < bindings.layerCount(model); layer++) {
            Block query = layer == 0 && layer0Query != null ? layer0Query : bindings.get(model, layer, Site.Q_PROJ);
            NDArray mixed = run(query, h, store).mul(run(bindings.get(model, layer, Site.K_PROJ), h, store))
                    .add(run(bindings.get(model, layer, Site.V_PROJ), h, store));
            h = h.add(run(bindings.get(model, layer, Site.O_PROJ), mixed, store));
            NDArray up = Activation.relu(run(bindings.get(model, layer, Site.INTERMEDIATE_PROJ), h, store));
            h = h.add(run(bindings.get(model, layer, Site.OUTPUT_PROJ), up, store));
        }
        return h;
    }

    private static NDArray run(Block block, NDArray input, ParameterStore store) {
        return block.forward(store, new NDList(input), false).singletonOrThrow();
    }

    private static boolean close(NDArray a, NDArray b) {
        return a.allClose(b, 1e-5, 1e-6, false);
    }

    private static String keyOf(Block model, Parameter parameter) {
        for (Pair<String, Parameter> entry : model.getParameters()) {
            if (entry.getValue() == parameter) {
                return entry.getKey();
            }
        }
        throw new AssertionError("parameter not listed by the model");
    }
}
