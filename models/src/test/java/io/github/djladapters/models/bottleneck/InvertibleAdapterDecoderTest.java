package io.github.djladapters.models.bottleneck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bottleneck.BottleneckDecoderTest.Decoder;
import io.github.djladapters.models.generation.DecoderForCausalLM;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.architecture.EmbeddingsOutputModel;
import io.github.djladapters.runtime.architecture.OutputEmbeddingsModel;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnConfig;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnInvConfig;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Invertible adapters ({@code SeqBnInvConfig}, NICE) on the tiny decoders: the coupling on the
 * token embeddings, its inverse before the tied LM head (hidden 32, so each coupling has
 * {@code 2 * (16 * 8 + 8 + 8 * 16 + 16) = 560} parameters).
 */
class InvertibleAdapterDecoderTest {

    private static final long[][] IDS = {{1, 7, 9, 3, 12}, {4, 4, 18, 2, 30}};
    private static final long NICE_PARAMETERS = 2 * (16 * 8 + 8 + 8 * 16 + 16);

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private AdapterModel<DecoderForCausalLM<?>> model(Decoder decoder) throws Exception {
        return decoder.adapted(dir, manager);
    }

    private float[] logits(AdapterModel<DecoderForCausalLM<?>> peft) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(new NDList(scope.create(IDS))).head().toFloatArray();
        }
    }

    /** Sets the invertible adapter's tensors to {@code scale * U(-1, 1)} (zero for scale 0), the others as they are. */
    private void setCoupling(AdapterModel<?> peft, String name, float scale) {
        Engine.getInstance().setRandomSeed(9);
        Map<String, NDArray> values = new HashMap<>();
        peft.adapterTensors(name, manager).forEach((key, value) -> {
            values.put(key, key.contains("invertible_adapters.")
                    ? manager.randomUniform(-1f, 1f, value.getShape()).mul(scale) : value);
        });
        assertEquals(8, values.keySet().stream().filter(k -> k.contains("invertible_adapters.")).count());
        peft.loadAdapterTensors(name, values);
    }

    @ParameterizedTest
    @EnumSource(Decoder.class)
    void zeroCouplingIsTheIdentityAndATrainedOneChangesTheOutputUntilDisabled(Decoder decoder) throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = model(decoder);
        float[] base = logits(peft);
        long all = peft.trainableParameters().all();
        // mam_adapter: the bottleneck adapters start as the identity, so only the coupling can change logits
        peft.addAdapter("inv", SeqBnInvConfig.builder().reductionFactor(8).initWeights("mam_adapter").build());
        peft.trainAdapter("inv");
        long bottleneck = decoder.layers() * (2L * 32 * 4 + 4 + 32);
        String line = peft.printTrainableParameters();
        assertTrue(line.startsWith(String.format("trainable params: %,d || all params: %,d",
                bottleneck + NICE_PARAMETERS, all + bottleneck + NICE_PARAMETERS)), line);
        OutputEmbeddingsModel head = (OutputEmbeddingsModel) peft.model();
        assertTrue(head.outputEmbeddingsInput().isPresent(), "the inverse runs before the LM head");

        float[] bertInit = logits(peft);
        assertTrue(maxDiff(base, bertInit) > 1e-5, "init_bert_weights is not the identity");

        setCoupling(peft, "inv", 0f);
        assertArrayEquals(base, logits(peft), "zero subnets: F = G = 0, an exact identity both ways");

        setCoupling(peft, "inv", 0.5f);
        float[] trained = logits(peft);
        assertTrue(maxDiff(base, trained) > 1e-2, "perturbed coupling changes the logits");
        try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
            assertArrayEquals(base, logits(peft));
        }
        // without the inverse before the head the logits differ: the hook is part of the forward
        OutputEmbeddingsModel.OutputEmbeddingsInput inverse = head.outputEmbeddingsInput().get();
        head.setOutputEmbeddingsInput(null);
        assertTrue(maxDiff(trained, logits(peft)) > 1e-3);
        head.setOutputEmbeddingsInput(inverse);
        assertArrayEquals(trained, logits(peft));

        peft.deleteAdapter("inv");
        assertFalse(head.outputEmbeddingsInput().isPresent(), "deleting the adapter removes the head hook");
        assertArrayEquals(base, logits(peft));
    }

    @ParameterizedTest
    @EnumSource(Decoder.class)
    void theHookBeforeTheHeadInvertsTheWrappedEmbeddingsExactly(Decoder decoder) throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = model(decoder);
        peft.addAdapter("a", SeqBnInvConfig.builder().reductionFactor(8).build());
        peft.addAdapter("b", SeqBnInvConfig.builder().reductionFactor(8).build());
        setCoupling(peft, "a", 0.5f);
        peft.setActiveAdapters("a");
        Block wrapper = find(peft.model());
        OutputEmbeddingsModel.OutputEmbeddingsInput inverse =
                ((OutputEmbeddingsModel) peft.model()).outputEmbeddingsInput().orElseThrow();
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            NDList ids = new NDList(scope.create(IDS));
            NDArray coupled;
            float[] table;
            if (peft.model() instanceof EmbeddingsOutputModel embedded) {
                // GPT-2: the coupling runs on token plus position embeddings, through the model's hook
                NDArray plain = wrapper.forward(store, ids, false).head();
                table = plain.toFloatArray();
                coupled = embedded.embeddingsOutput().orElseThrow().apply(store, plain, false);
            } else {
                // Llama: on the token table's output, in the wrapper
                coupled = wrapper.forward(store, ids, false).head();
                try (AdapterModel.DisabledScope off = peft.disableAdapters()) {
                    table = wrapper.forward(store, ids, false).head().toFloatArray();
                }
            }
            assertTrue(maxDiff(table, coupled.toFloatArray()) > 1e-2, "the coupling changes the embeddings");
            float[] back = inverse.apply(store, coupled, false).toFloatArray();
            assertArrayEquals(table, back, 1e-5f, "inverse(forward(E[ids])) = E[ids] through the installed pieces");
            peft.setActiveAdapters("b");
            assertTrue(maxDiff(table, inverse.apply(store, coupled, false).toFloatArray()) > 1e-3,
                    "adapter b has its own coupling");
        }
        peft.deleteAdapter("a");
        assertTrue(((OutputEmbeddingsModel) peft.model()).outputEmbeddingsInput().isPresent(), "b keeps the hook");
    }

    private static Block find(Block block) {
        if (block.getClass().getSimpleName().equals("InvertibleAdapterLayer")) {
            return block;
        }
        for (Block child : block.getChildren().values()) {
            Block found = find(child);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    @ParameterizedTest
    @EnumSource(Decoder.class)
    void savesTheLibraryKeysAndLoadsIntoAFreshModelIdentically(Decoder decoder) throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = model(decoder);
        peft.addAdapter("inv", SeqBnInvConfig.builder().reductionFactor(8).build());
        setCoupling(peft, "inv", 0.5f);
        peft.setActiveAdapters("inv");
        float[] trained = logits(peft);
        peft.saveAdapter(dir.resolve("saved"));
        Path folder = dir.resolve("saved").resolve("inv");
        // the library's base model holds its invertible_adapters: GPT2LMHeadModel's transformer, Llama's model
        String module = (peft.model().getClass().getSimpleName().startsWith("GPT2") ? "transformer." : "model.")
                + "invertible_adapters.inv.";
        try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("adapter.safetensors"))) {
            assertTrue(file.tensors().keySet().containsAll(List.of(module + "F.0.weight", module + "F.0.bias",
                    module + "F.2.weight", module + "G.2.bias")), file.tensors().keySet().toString());
            assertEquals(List.of(8L, 16L), List.of(file.tensors().get(module + "F.0.weight").shape()
                    .get(0), file.tensors().get(module + "F.0.weight").shape().get(1)));
        }
        String config = Files.readString(folder.resolve("adapter_config.json"));
        assertTrue(config.contains("\"inv_adapter\": \"nice\"") && config.contains(
                "\"inv_adapter_reduction_factor\": 2.0"), config);

        AdapterModel<DecoderForCausalLM<?>> fresh = model(decoder);
        fresh.loadAdapter(folder, "inv");
        fresh.setActiveAdapters("inv");
        assertArrayEquals(trained, logits(fresh));

        // as the library saves from a head model: the base model's prefix before invertible_adapters
        Path prefixed = Files.createDirectories(dir.resolve("prefixed"));
        Files.copy(folder.resolve("adapter_config.json"), prefixed.resolve("adapter_config.json"));
        try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("adapter.safetensors"))) {
            SafetensorsWriter writer = new SafetensorsWriter();
            for (String key : file.tensors().keySet()) {
                writer.addArray((key.startsWith("invertible_") ? "transformer." : "") + key, manager.create(
                        file.readFloat32(key), file.tensors().get(key).shape(), DataType.FLOAT32));
            }
            writer.write(prefixed.resolve("adapter.safetensors"));
        }
        AdapterModel<DecoderForCausalLM<?>> third = model(decoder);
        third.loadAdapter(prefixed, "inv");
        third.setActiveAdapters("inv");
        assertArrayEquals(trained, logits(third));
    }

    @ParameterizedTest
    @EnumSource(Decoder.class)
    void gradientsReachTheCouplingAndGlowIsRefusedBeforeAnythingChanges(Decoder decoder) throws Exception {
        AdapterModel<DecoderForCausalLM<?>> peft = model(decoder);
        peft.addAdapter("inv", SeqBnInvConfig.builder().reductionFactor(8).build());
        peft.trainAdapter("inv");
        try (NDManager scope = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray logits = peft.model().forward(new ParameterStore(scope, false), new NDList(scope.create(IDS)),
                    true).head();
            collector.backward(logits.square().mean());
        }
        int coupling = 0;
        for (var entry : peft.model().getParameters()) {
            Parameter p = entry.getValue();
            if (entry.getKey().contains("inv") && entry.getKey().matches(".*[FG]_[02]_weight")) {
                coupling++;
                assertTrue(p.getArray().getGradient().abs().sum().getFloat() > 0, entry.getKey());
            }
        }
        assertEquals(4, coupling);

        int attachments = peft.attachments().size();
        IllegalArgumentException glow = assertThrows(IllegalArgumentException.class, () -> peft.addAdapter("glow",
                SeqBnConfig.builder().invAdapter("glow").invAdapterReductionFactor(2.0).build()));
        assertTrue(glow.getMessage().contains("inv_adapter 'glow' is not supported"), glow.getMessage());
        assertEquals(attachments, peft.attachments().size());
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
