package io.github.djladapters.samples.consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.architecture.ExtendedKeyValues;
import io.github.djladapters.runtime.architecture.KeyValueAttention;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.methods.adaptionprompt.AdaptionPromptConfig;
import io.github.djladapters.runtime.methods.prefix.PrefixTuningConfig;
import io.github.djladapters.runtime.methods.reft.ReftConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The plugin's attention implements {@code KeyValueAttention} and its model takes an attention mask,
 * so methods that act inside attention or on real tokens run on it: adaption prompts, prefix tuning
 * (checked against running the prefix tokens for real) and ReFT on padded batches. The plugin does
 * not generate (no key/value cache), so there is no cached path to compare.
 */
class PluginAttentionAdaptersTest {

    private static final String PLUGIN_MODEL = "io.github.djladapters.samples.plugin.ToyGptModel";

    private static Block createPluginModel(NDManager manager) throws ReflectiveOperationException {
        Class<?> type = Class.forName(PLUGIN_MODEL);
        return (Block) type.getMethod("createInitialized", NDManager.class).invoke(null, manager);
    }

    private static float[] run(Block model, NDManager manager, long[][] ids, long[][] mask) {
        try (NDManager scope = manager.newSubManager()) {
            NDList inputs = new NDList(scope.create(ids));
            if (mask != null) {
                inputs.add(scope.create(mask));
            }
            return model.forward(new ParameterStore(scope, false), inputs, false).head().toFloatArray();
        }
    }

    private static void setTensors(AdapterModel<Block> adapters, String name, NDManager manager, long seed,
            java.util.function.Predicate<String> which, float scale) {
        Random random = new Random(seed);
        Map<String, NDArray> tensors = adapters.adapterTensors(name, manager);
        tensors.replaceAll((key, value) -> {
            if (!which.test(key)) {
                return value;
            }
            float[] values = new float[(int) value.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * scale);
            }
            return manager.create(values, value.getShape());
        });
        adapters.loadAdapterTensors(name, tensors);
    }

    private static double maxDiff(float[] x, float[] y) {
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }

    @Test
    void adaptionPromptWithZeroGateIsTheBaseAndAnOpenGateChangesTheOutput() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = createPluginModel(manager);
            long[][] ids = {{1, 5, 9, 2, 40}};
            float[] base = run(model, manager, ids, null);
            AdapterModel<Block> adapters = Adapters.init(model);
            adapters.addAdapter("llama_adapter", new AdaptionPromptConfig(4, 1, null));
            adapters.setActiveAdapters("llama_adapter");
            assertArrayEquals(base, run(model, manager, ids, null), 0f, "a new adaption prompt's gate is zero");

            setTensors(adapters, "llama_adapter", manager, 7, key -> key.contains("adaption_gate"), 1f);
            float[] gated = run(model, manager, ids, null);
            assertTrue(maxDiff(base, gated) > 1e-3, "an open gate adds the prompt's attention");
            try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                assertArrayEquals(base, run(model, manager, ids, null), 0f);
            }
        }
    }

    @Test
    void aPrefixOfRecordedKeysAndValuesEqualsRunningThoseTokensFirst() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = createPluginModel(manager);
            AdapterModel<Block> adapters = Adapters.init(model);
            long[] first = {3, 14, 15};
            long[] then = {9, 26, 5, 35};
            int layers = adapters.layerCount();
            // record each layer's keys and values of the first tokens run alone
            List<NDArray[]> recorded = new ArrayList<>();
            List<KeyValueAttention> attention = new ArrayList<>();
            for (int layer = 0; layer < layers; layer++) {
                KeyValueAttention block = (KeyValueAttention) adapters.block(layer, Site.SELF_ATTENTION);
                attention.add(block);
                block.setKeyValueExtension((query, keys, values) -> {
                    NDArray k = keys.duplicate();
                    NDArray v = values.duplicate();
                    k.attach(manager);
                    v.attach(manager);
                    recorded.add(new NDArray[] {k, v});
                    return ExtendedKeyValues.unchanged(keys, values);
                });
            }
            run(model, manager, new long[][] {first}, null);
            attention.forEach(block -> block.setKeyValueExtension(null));
            assertEquals(layers, recorded.size());

            // PEFT's table: per virtual token, per layer, keys then values, head by head
            NDList columns = new NDList();
            for (NDArray[] kv : recorded) {
                for (NDArray part : kv) {
                    Shape s = part.getShape(); // [1, heads, n, headDim]
                    columns.add(part.squeeze(0).transpose(1, 0, 2).reshape(s.get(2), s.get(1) * s.get(3)));
                }
            }
            NDArray table = NDArrays.concat(columns, 1);
            adapters.addAdapter("prefix", PrefixTuningConfig.builder().numVirtualTokens(first.length).build());
            Map<String, NDArray> tensors = adapters.adapterTensors("prefix", manager);
            assertEquals(1, tensors.size());
            tensors.replaceAll((key, value) -> table);
            adapters.loadAdapterTensors("prefix", tensors);
            adapters.setActiveAdapters("prefix");
            float[] prefixed = run(model, manager, new long[][] {then}, null);

            float[] whole;
            try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                long[] both = new long[first.length + then.length];
                System.arraycopy(first, 0, both, 0, first.length);
                System.arraycopy(then, 0, both, first.length, then.length);
                whole = run(model, manager, new long[][] {both}, null);
            }
            int hidden = prefixed.length / then.length;
            float[] lastPositions = java.util.Arrays.copyOfRange(whole, first.length * hidden, whole.length);
            assertArrayEquals(lastPositions, prefixed, 1e-4f,
                    "a prefix of the first tokens' keys and values is those tokens run before the rest");
        }
    }

    @Test
    void reftOnAPaddedBatchEqualsEachRowAloneOnEitherSide() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = createPluginModel(manager);
            AdapterModel<Block> adapters = Adapters.init(model);
            adapters.addAdapter("reft", ReftConfig.loReft().r(2).positions(2, 1).build());
            setTensors(adapters, "reft", manager, 3, key -> true, 0.3f);
            adapters.setActiveAdapters("reft");
            long[] longRow = {1, 5, 9, 2, 40};
            long[] shortRow = {7, 3};
            float[] longAlone = run(model, manager, new long[][] {longRow}, null);
            float[] shortAlone = run(model, manager, new long[][] {shortRow}, null);
            int hidden = longAlone.length / longRow.length;
            for (boolean left : new boolean[] {true, false}) {
                long[][] ids = {longRow, left ? new long[] {0, 0, 0, 7, 3} : new long[] {7, 3, 0, 0, 0}};
                long[][] mask = {{1, 1, 1, 1, 1}, left ? new long[] {0, 0, 0, 1, 1} : new long[] {1, 1, 0, 0, 0}};
                float[] batch = run(model, manager, ids, mask);
                assertArrayEquals(longAlone, java.util.Arrays.copyOfRange(batch, 0, longAlone.length), 1e-4f);
                int from = longAlone.length + (left ? 3 : 0) * hidden;
                assertArrayEquals(shortAlone, java.util.Arrays.copyOfRange(batch, from, from + shortAlone.length), 1e-4f,
                        (left ? "left" : "right") + "-padded short row");
            }
            try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                assertTrue(maxDiff(shortAlone, run(model, manager, new long[][] {shortRow}, null)) > 1e-3,
                        "the ReFT acts on the short row");
            }
        }
    }
}
