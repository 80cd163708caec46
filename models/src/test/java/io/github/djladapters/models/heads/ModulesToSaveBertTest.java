package io.github.djladapters.models.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.AdapterSummary;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.bindings.ModulePaths;
import io.github.djladapters.runtime.files.PeftAdapterFiles;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import io.github.djladapters.runtime.safetensors.TensorSource;
import io.github.djladapters.runtime.savedmodules.ModulesToSaveLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEFT's {@code modules_to_save=["classifier"]} on a small random BERT (and RoBERTa) sequence
 * classifier: a trainable copy of the head per adapter, saved under PEFT's keys.
 */
class ModulesToSaveBertTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "base_model.model.";
    private static final int[] LABELS = {0, 2, 1};

    @TempDir Path temp;

    private NDManager manager;
    private long[][][] batch;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** LoRA on query and value with a random B, and the classifier in modules_to_save. */
    private static LoRAConfig qvWithClassifier(long r) {
        return LoRAConfig.builder().r((int) r).loraAlpha(8).targetModules("query", "value")
                .initLoraWeights(LoRAInit.NONE).modulesToSave("classifier").build();
    }

    @Test
    void trainingChangesOnlyTheLoRAAndTheCopyAndLowersTheLoss() throws IOException {
        Engine.getInstance().setRandomSeed(7); // the LoRA initialisation and dropout: a fixed loss curve
        BertTaskModel model = load(TinyCheckpoints.tinyBert(), "bert");
        AdapterModel<BertTaskModel> peft = Adapters.init(model, model.adapterInterface());
        peft.addAdapter("cls", LoRAConfig.builder().r(4).loraAlpha(8).targetModules("query", "value")
                .modulesToSave("classifier").build());
        peft.trainAdapter("cls");

        ModulesToSaveLayer head = savedLayer(peft, "classifier");
        Set<Parameter> expected = identitySet();
        for (AdapterLayer<?> layer : peft.adapterLayers()) {
            expected.addAll(layer.parameters("cls"));
        }
        assertEquals(2 + 8, expected.size(), "the copy's weight and bias, A and B on four modules");
        Set<Parameter> trainable = identitySet();
        Map<Parameter, float[]> frozenBefore = new IdentityHashMap<>();
        for (Parameter p : peft.model().getParameters().values()) {
            if (p.requiresGradient()) {
                trainable.add(p);
            } else {
                frozenBefore.put(p, p.getArray().toFloatArray());
            }
        }
        assertEquals(expected, trainable);
        Map<String, Parameter> original = ModulePaths.parameters(head.base());
        Map<String, Parameter> copy = ModulePaths.parameters(head.adapter("cls"));
        assertTrue(frozenBefore.keySet().containsAll(original.values()), "the original head is frozen");
        float[] copyBefore = copy.get("weight").getArray().toFloatArray();
        assertArrayEquals(original.get("weight").getArray().toFloatArray(), copyBefore, "the copy starts equal");

        List<Float> losses = train(peft, 40);
        assertTrue(losses.get(losses.size() - 1) < 0.5 * losses.get(0), "loss " + losses);
        frozenBefore.forEach((p, values) -> assertArrayEquals(values, p.getArray().toFloatArray(), p.getName()));
        assertFalse(Arrays.equals(copyBefore, copy.get("weight").getArray().toFloatArray()), "the copy trained");
    }

    @Test
    void trainableParametersAndTheSummaryCountTheCopy() throws IOException {
        BertTaskModel model = load(TinyCheckpoints.tinyBert(), "bert");
        AdapterModel<BertTaskModel> peft = Adapters.init(model, model.adapterInterface());
        long base = peft.trainableParameters().all();
        // embeddings 40*16 + 24*16 + 2*16 + LayerNorm 2*16; per layer q, k, v, o 4*(16*16+16), LayerNorm 2*16,
        // intermediate 32*16+32, output 16*32+16, LayerNorm 2*16; pooler 16*16+16; classifier 3*16+3
        long layer = 4 * (16 * 16 + 16) + 2 * 16 + (32 * 16 + 32) + (16 * 32 + 16) + 2 * 16;
        assertEquals(40 * 16 + 24 * 16 + 2 * 16 + 2 * 16 + 2 * layer + (16 * 16 + 16) + (3 * 16 + 3), base);
        peft.addAdapter("cls", qvWithClassifier(4));
        peft.trainAdapter("cls");
        long lora = 2 * 2 * (4 * 16 + 16 * 4); // two layers, query and value, A [4, 16] and B [16, 4]
        long copy = 3 * 16 + 3;
        assertEquals(512 + 51, lora + copy);
        assertEquals("trainable params: 563 || all params: 6,422 || trainable%: 8.7667",
                peft.printTrainableParameters());
        assertEquals(base + lora + copy, peft.trainableParameters().all());
        AdapterSummary summary = peft.adapterSummary();
        assertEquals(lora + copy, summary.rows().get(0).parameters());
        assertTrue(summary.rows().get(0).train());
        assertEquals(base, summary.baseParameters(), "the full model counts the original head once");
    }

    @Test
    void disabledOrInactiveRunsTheOriginalHeadAndDeleteRestoresTheModel() throws IOException {
        BertTaskModel model = load(TinyCheckpoints.tinyBert(), "bert");
        AdapterModel<BertTaskModel> peft = Adapters.init(model, model.adapterInterface());
        Block originalHead = ModulePaths.resolve(model, "classifier");
        long baseCount = peft.trainableParameters().all();
        float[] base = logits(peft);
        peft.addAdapter("cls", qvWithClassifier(2));
        perturbCopy(peft, "cls");
        peft.setActiveAdapters("cls");
        float[] adapted = logits(peft);
        assertFalse(Arrays.equals(base, adapted));
        try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
            assertArrayEquals(base, logits(peft), "disabled: the base output exactly");
        }
        peft.setActiveAdapters();
        assertArrayEquals(base, logits(peft), "no active adapter: the base output exactly");
        peft.setActiveAdapters("cls");
        peft.mergeAdapter();
        assertEquals(0, maxDiff(adapted, logits(peft)), 1e-5, "merged LoRA, the copy still in use");
        try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
            assertEquals(0, maxDiff(base, logits(peft)), 1e-5, "merged, disabled: the original head");
        }
        peft.unmergeAdapter();

        peft.deleteAdapter("cls");
        assertEquals(baseCount, peft.trainableParameters().all());
        assertSame(originalHead, ModulePaths.resolve(model, "classifier"));
        assertTrue(peft.adapterLayers().isEmpty());
        assertEquals(0, maxDiff(base, logits(peft)), 1e-5, "base weights unmerged within float tolerance");
    }

    @Test
    void saveThenLoadGivesIdenticalOutputsUnderPeftKeys() throws IOException {
        BertTaskModel model = load(TinyCheckpoints.tinyBert(), "bert");
        AdapterModel<BertTaskModel> peft = Adapters.init(model, model.adapterInterface());
        peft.addAdapter("default", qvWithClassifier(2));
        perturbCopy(peft, "default");
        peft.setActiveAdapters("default");
        float[] adapted = logits(peft);
        Path saved = temp.resolve("saved");
        peft.saveAdapter(saved);

        Set<String> expected = new TreeSet<>(List.of(PREFIX + "classifier.weight", PREFIX + "classifier.bias"));
        for (int layer = 0; layer < 2; layer++) {
            for (String module : List.of("query", "value")) {
                for (String ab : List.of("lora_A", "lora_B")) {
                    expected.add(PREFIX + "bert.encoder.layer." + layer + ".attention.self." + module + "." + ab
                            + ".weight");
                }
            }
        }
        Path weights = saved.resolve(PeftAdapterFiles.WEIGHTS_FILE);
        assertEquals(expected, keys(weights));
        JsonNode config = JSON.readTree(saved.resolve(PeftAdapterFiles.CONFIG_FILE).toFile());
        assertEquals(List.of("classifier"), JSON.convertValue(config.get("modules_to_save"), List.class));
        assertEquals(List.of("query", "value"), JSON.convertValue(config.get("target_modules"), List.class));

        Path again = temp.resolve("again");
        peft.saveAdapter(again);
        for (String file : List.of(PeftAdapterFiles.WEIGHTS_FILE, PeftAdapterFiles.CONFIG_FILE)) {
            assertArrayEquals(Files.readAllBytes(saved.resolve(file)), Files.readAllBytes(again.resolve(file)), file);
        }

        assertArrayEquals(adapted, loadedLogits(saved), "a fresh model with the adapter loaded");

        Path old = temp.resolve("old-form");
        rewrite(saved, old, key -> key.replace("classifier.", "classifier.modules_to_save."));
        assertTrue(keys(old.resolve(PeftAdapterFiles.WEIGHTS_FILE)).contains(PREFIX + "classifier.modules_to_save.bias"));
        assertArrayEquals(adapted, loadedLogits(old), "older PEFT's classifier.modules_to_save.* keys");
    }

    @Test
    void missingAndUnexpectedHeadKeysAreErrorsThatListThem() throws IOException {
        BertTaskModel model = load(TinyCheckpoints.tinyBert(), "bert");
        AdapterModel<BertTaskModel> peft = Adapters.init(model, model.adapterInterface());
        peft.addAdapter("default", qvWithClassifier(2));
        Path saved = temp.resolve("saved");
        peft.saveAdapter(saved);
        Path missing = temp.resolve("missing");
        rewrite(saved, missing, key -> key.endsWith("classifier.bias") ? null : key);
        Path unexpected = temp.resolve("unexpected");
        rewrite(saved, unexpected, key -> key.endsWith("classifier.bias") ? PREFIX + "classifier.original_module.bias"
                : key);

        BertTaskModel fresh = load(TinyCheckpoints.tinyBert(), "bert");
        AdapterModel<BertTaskModel> other = Adapters.init(fresh, fresh.adapterInterface());
        long count = other.trainableParameters().all();
        String message = assertThrows(CheckpointException.class, () -> other.loadAdapter(missing)).getMessage();
        assertTrue(message.contains("missing keys [" + PREFIX + "classifier.bias]"), message);
        message = assertThrows(CheckpointException.class, () -> other.loadAdapter(unexpected)).getMessage();
        assertTrue(message.contains(PREFIX + "classifier.original_module.bias"), message);
        Path both = temp.resolve("both-forms");
        rewrite(saved, both, key -> key); // then the weights again, with the old form of one key added
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile file = SafetensorsFile.open(saved.resolve(PeftAdapterFiles.WEIGHTS_FILE))) {
            for (TensorInfo info : file.tensors().values()) {
                writer.add(info.name(), info.dtype(), info.shape(), file.rawBytes(info.name()));
                if (info.name().endsWith("classifier.weight")) {
                    writer.add(PREFIX + "classifier.modules_to_save.weight", info.dtype(), info.shape(),
                            file.rawBytes(info.name()));
                }
            }
        }
        writer.write(both.resolve(PeftAdapterFiles.WEIGHTS_FILE));
        message = assertThrows(CheckpointException.class, () -> other.loadAdapter(both)).getMessage();
        assertTrue(message.contains(PREFIX + "classifier.modules_to_save.weight")
                && message.contains(PREFIX + "classifier.weight") && message.contains("same tensor"), message);
        assertTrue(other.adapters().isEmpty());
        assertEquals(count, other.trainableParameters().all(), "nothing was added");
    }

    @Test
    void mergeAndUnloadKeepsTheActiveCopyAndUnloadTheOriginal() throws IOException {
        BertTaskModel model = load(TinyCheckpoints.tinyBert(), "bert");
        AdapterModel<BertTaskModel> peft = Adapters.init(model, model.adapterInterface());
        Block originalHead = ModulePaths.resolve(model, "classifier");
        float[] base = logits(peft);
        peft.addAdapter("cls", qvWithClassifier(2));
        perturbCopy(peft, "cls");
        peft.setActiveAdapters("cls");
        float[] adapted = logits(peft);
        Block copy = savedLayer(peft, "classifier").adapter("cls");
        BertTaskModel merged = peft.mergeAndUnload();
        assertSame(copy, ModulePaths.resolve(merged, "classifier"));
        assertInstanceOf(Linear.class, ModulePaths.resolve(merged, "classifier"));
        assertEquals(0, maxDiff(adapted, logits(peft)), 1e-5);

        BertTaskModel second = load(TinyCheckpoints.tinyBert(), "bert");
        AdapterModel<BertTaskModel> other = Adapters.init(second, second.adapterInterface());
        Block secondHead = ModulePaths.resolve(second, "classifier");
        other.addAdapter("cls", qvWithClassifier(2));
        other.setActiveAdapters("cls");
        assertNotSame(secondHead, ModulePaths.resolve(second, "classifier"));
        other.unload();
        assertSame(secondHead, ModulePaths.resolve(second, "classifier"));
        assertArrayEquals(base, logits(other));
        assertNotSame(originalHead, secondHead);
    }

    @Test
    void oneAdapterWithModulesToSaveActiveAtATimeButRowsMayMixThem() throws IOException {
        BertTaskModel model = load(TinyCheckpoints.tinyBert(), "bert");
        AdapterModel<BertTaskModel> peft = Adapters.init(model, model.adapterInterface());
        peft.addAdapter("a", qvWithClassifier(2));
        peft.addAdapter("b", qvWithClassifier(3));
        peft.addAdapter("plain", LoRAConfig.builder().r(2).targetModules("key").initLoraWeights(LoRAInit.NONE).build());
        perturbCopy(peft, "a");
        perturbCopy(peft, "b");
        String message = assertThrows(IllegalArgumentException.class, () -> peft.setActiveAdapters("a", "b"))
                .getMessage();
        assertTrue(message.contains("[a, b]") && message.contains("modules_to_save"), message);
        peft.setActiveAdapters("a", "plain"); // one copy of the classifier: allowed

        List<String> rows = List.of("b", "", "a");
        float[] mixed;
        try (NDManager scope = manager.newSubManager()) {
            mixed = peft.forward(inputs(scope), rows).head().toFloatArray();
        }
        for (int row = 0; row < rows.size(); row++) {
            if (rows.get(row).isEmpty()) {
                peft.setActiveAdapters();
            } else {
                peft.setActiveAdapters(rows.get(row));
            }
            float[] alone = logits(peft);
            assertEquals(0, maxDiff(Arrays.copyOfRange(alone, row * 3, row * 3 + 3),
                    Arrays.copyOfRange(mixed, row * 3, row * 3 + 3)), 1e-5, "row " + row);
        }
    }

    @Test
    void robertaHeadIsCopiedSavedAndLoaded() throws IOException {
        BertTaskModel model = load(TinyCheckpoints.tinyRoberta(), "roberta");
        AdapterModel<BertTaskModel> peft = Adapters.init(model, model.adapterInterface());
        float[] base = logits(peft);
        peft.addAdapter("default", qvWithClassifier(2));
        perturbCopy(peft, "default");
        peft.setActiveAdapters("default");
        float[] adapted = logits(peft);
        assertFalse(Arrays.equals(base, adapted));
        try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
            assertArrayEquals(base, logits(peft));
        }
        peft.trainAdapter("default");
        assertTrue(train(peft, 2).stream().allMatch(Float::isFinite), "the head trains with its dropout");
        peft.setActiveAdapters("default");
        adapted = logits(peft);
        Path saved = temp.resolve("roberta");
        peft.saveAdapter(saved);
        Set<String> keys = keys(saved.resolve(PeftAdapterFiles.WEIGHTS_FILE));
        for (String tensor : List.of("dense.weight", "dense.bias", "out_proj.weight", "out_proj.bias")) {
            assertTrue(keys.contains(PREFIX + "classifier." + tensor), keys.toString());
        }
        assertEquals(8 + 4, keys.size());
        batchFor(TinyCheckpoints.tinyRoberta());
        assertArrayEquals(adapted, loadedLogits(saved, TinyCheckpoints.tinyRoberta(), "roberta"));
    }

    // ---- helpers ----

    private ModulesToSaveLayer savedLayer(AdapterModel<?> peft, String path) {
        Block block = ModulePaths.resolve(peft.model(), path);
        return assertInstanceOf(ModulesToSaveLayer.class, block);
    }

    /** Gives an adapter's classifier copy other values, so that it differs from the original. */
    private void perturbCopy(AdapterModel<?> peft, String adapter) {
        try (NDManager scope = manager.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(peft.adapterTensors(adapter, scope));
            tensors.replaceAll((key, value) -> key.contains(".classifier.")
                    ? value.add(scope.randomNormal(0, 0.5f, value.getShape(), value.getDataType())) : value);
            peft.loadAdapterTensors(adapter, tensors);
        }
    }

    /** Cross-entropy steps with Adam on the three fixed labels; returns the losses. */
    private List<Float> train(AdapterModel<BertTaskModel> peft, int steps) {
        List<Parameter> trainable = new ArrayList<>();
        for (Parameter p : peft.model().getParameters().values()) {
            if (p.requiresGradient()) {
                trainable.add(p);
            }
        }
        Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.05f)).build();
        Loss loss = Loss.softmaxCrossEntropyLoss();
        List<Float> losses = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            try (NDManager scope = manager.newSubManager()) {
                NDList labels = new NDList(scope.create(new float[] {LABELS[0], LABELS[1], LABELS[2]}));
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDList out = peft.model().forward(new ParameterStore(scope, false), inputs(scope), true);
                    NDArray value = loss.evaluate(labels, out);
                    collector.backward(value);
                    losses.add(value.getFloat());
                }
                for (Parameter p : trainable) {
                    NDArray gradient = p.getArray().getGradient();
                    adam.update(p.getId(), p.getArray(), gradient);
                    gradient.subi(gradient);
                }
            }
        }
        return losses;
    }

    private float[] logits(AdapterModel<?> peft) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(inputs(scope)).head().toFloatArray();
        }
    }

    private float[] loadedLogits(Path adapter) throws IOException {
        return loadedLogits(adapter, TinyCheckpoints.tinyBert(), "bert");
    }

    private float[] loadedLogits(Path adapter, BertConfig config, String name) throws IOException {
        BertTaskModel fresh = load(config, name);
        AdapterModel<BertTaskModel> loaded = Adapters.init(fresh, fresh.adapterInterface());
        loaded.loadAdapter(adapter);
        loaded.setActiveAdapters(PeftAdapterFiles.DEFAULT_ADAPTER);
        return logits(loaded);
    }

    private NDList inputs(NDManager scope) {
        return new NDList(scope.create(batch[0]), scope.create(batch[1]), scope.create(batch[2]));
    }

    private void batchFor(BertConfig config) {
        batch = TinyCheckpoints.paddedBatch(config, 5);
    }

    /** A sequence classifier with seeded weights, written once per config and loaded fresh on each call. */
    private BertTaskModel load(BertConfig config, String name) throws IOException {
        Path dir = temp.resolve("model-" + name);
        if (!Files.exists(dir)) {
            Map<String, Shape> shapes = new LinkedHashMap<>();
            TinyCheckpoints.shapes(config).forEach((key, shape) -> shapes.put(config.baseModelPrefix() + "." + key,
                    shape));
            int h = config.hiddenSize();
            Map<String, Shape> heads = config.isRoberta()
                    ? Map.of("classifier.dense", new Shape(h, h), "classifier.out_proj", new Shape(3, h))
                    : Map.of("bert.pooler.dense", new Shape(h, h), "classifier", new Shape(3, h));
            new TreeSet<>(heads.keySet()).forEach(head -> {
                shapes.put(head + ".weight", heads.get(head));
                shapes.put(head + ".bias", new Shape(heads.get(head).get(0)));
            });
            TinyCheckpoints.write(dir, config, shapes, TinyCheckpoints.randomWeights(shapes, 17), TensorDType.F32, 1,
                    "");
        }
        batchFor(config);
        BertTaskModel model = new BertTaskModel(config, BertTaskModel.Task.SEQUENCE_CLASSIFICATION);
        try (TensorSource weights = CheckpointDirectory.open(dir)) {
            BertModels.load(model, weights, manager);
        }
        return model;
    }

    /** Copies an adapter folder, renaming (or with null, dropping) the tensor keys. */
    private static void rewrite(Path from, Path to, UnaryOperator<String> rename) throws IOException {
        Files.createDirectories(to);
        Files.copy(from.resolve(PeftAdapterFiles.CONFIG_FILE), to.resolve(PeftAdapterFiles.CONFIG_FILE));
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile file = SafetensorsFile.open(from.resolve(PeftAdapterFiles.WEIGHTS_FILE))) {
            for (TensorInfo info : file.tensors().values()) {
                String key = rename.apply(info.name());
                if (key != null) {
                    writer.add(key, info.dtype(), info.shape(), file.rawBytes(info.name()));
                }
            }
        }
        writer.write(to.resolve(PeftAdapterFiles.WEIGHTS_FILE));
    }

    private static Set<String> keys(Path weights) throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            return new TreeSet<>(file.tensors().keySet());
        }
    }

    private static Set<Parameter> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
