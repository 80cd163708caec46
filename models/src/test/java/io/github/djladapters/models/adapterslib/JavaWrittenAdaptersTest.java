package io.github.djladapters.models.adapterslib;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.composition.Fuse;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.bottleneck.DoubleSeqBnConfig;
import io.github.djladapters.runtime.methods.bottleneck.ParBnConfig;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnConfig;
import io.github.djladapters.runtime.methods.bottleneck.SeqBnInvConfig;
import io.github.djladapters.runtime.methods.reft.ReftConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reverse direction: adapters written here, in {@code fixtures/adapters-library/java-written/},
 * which the Adapters library loads with {@code model.load_adapter} ({@code generate.py --check-java}
 * compares its outputs with the {@code expected.json} written next to them; see the README).
 *
 * <p>{@link #writeFixtures} rewrites that folder when run with
 * {@code -Dadapters.library.fixtures=<path of fixtures/adapters-library>}; the parameterised test
 * checks that the committed folders still load here to the outputs written with them, so the files
 * the library was checked against stay what this code reads and computes.
 */
class JavaWrittenAdaptersTest {

    /** One written case: the model kind, the adapters (in activation order) and whether they are fused. */
    record Case(String kind, Map<String, AdapterConfig> adapters, boolean fusion) {}

    static Map<String, Case> cases() {
        Map<String, Case> cases = new LinkedHashMap<>();
        cases.put("bert-seq-bn", new Case("bert", Map.of("seq_bn", SeqBnConfig.builder().reductionFactor(4).build()),
                false));
        cases.put("bert-double-seq-bn", new Case("bert",
                Map.of("double_seq_bn", DoubleSeqBnConfig.builder().reductionFactor(4).build()), false));
        cases.put("bert-par-bn", new Case("bert", Map.of("par_bn", ParBnConfig.builder().reductionFactor(4).build()),
                false));
        cases.put("bert-seq-bn-inv", new Case("bert",
                Map.of("seq_bn_inv", SeqBnInvConfig.builder().reductionFactor(4).build()), false));
        cases.put("bert-loreft", new Case("bert",
                Map.of("loreft", ReftConfig.loReft().r(2).prefixPositions(2).suffixPositions(1).build()), false));
        Map<String, AdapterConfig> fused = new LinkedHashMap<>();
        fused.put("a", SeqBnConfig.builder().reductionFactor(4).build());
        fused.put("b", SeqBnConfig.builder().reductionFactor(8).build());
        cases.put("bert-fusion", new Case("bert", fused, true));
        cases.put("gpt2-seq-bn-inv", new Case("gpt2",
                Map.of("seq_bn_inv", SeqBnInvConfig.builder().reductionFactor(8).build()), false));
        cases.put("llama-double-seq-bn", new Case("llama",
                Map.of("double_seq_bn", DoubleSeqBnConfig.builder().reductionFactor(8).build()), false));
        cases.put("llama-loreft", new Case("llama",
                Map.of("loreft", ReftConfig.loReft().r(4).prefixPositions(3).suffixPositions(2).build()), false));
        return cases;
    }

    static List<String> names() {
        return List.copyOf(cases().keySet());
    }

    /** The inputs of the library-made fixtures of the same model kind. */
    private static com.fasterxml.jackson.databind.JsonNode inputs(String kind) throws Exception {
        String source = switch (kind) {
            case "bert" -> "bert-seq-bn";
            case "gpt2" -> "gpt2-double-seq-bn";
            default -> "llama-seq-bn";
        };
        return LibraryFixture.open("library-made", source).expected.get("inputs");
    }

    @Test
    @EnabledIfSystemProperty(named = "adapters.library.fixtures", matches = ".+")
    void writeFixtures() throws Exception {
        Path root = Path.of(System.getProperty("adapters.library.fixtures")).resolve("java-written");
        int seed = 0;
        for (Map.Entry<String, Case> entry : cases().entrySet()) {
            Case c = entry.getValue();
            Path dir = root.resolve(entry.getKey());
            Files.createDirectories(dir);
            try (NDManager manager = NDManager.newBaseManager()) {
                AdapterModel<?> model = LibraryFixture.baseModel(c.kind(), manager);
                model.baseModelNameOrPath(c.kind() + "-tiny");
                var in = inputs(c.kind());
                float[] base = LibraryFixture.run(model, manager, c.kind(), in);
                Engine.getInstance().setRandomSeed(42 + seed++);
                List<String> names = List.copyOf(c.adapters().keySet());
                for (String name : names) {
                    model.addAdapter(name, c.adapters().get(name));
                    Map<String, NDArray> random = new HashMap<>();
                    model.adapterTensors(name, manager).forEach((key, value) -> random.put(key,
                            manager.randomUniform(-0.3f, 0.3f, value.getShape())
                                    .add(key.endsWith("scaling") ? 1f : 0f)));
                    model.loadAdapterTensors(name, random);
                }
                Fuse fuse = Fuse.of(names.toArray(String[]::new));
                if (c.fusion()) {
                    model.addAdapterFusion(fuse);
                    Random random = new Random(7);
                    for (Parameter p : model.trainAdapterFusion(fuse)) {
                        float[] values = new float[(int) p.getArray().size()];
                        for (int i = 0; i < values.length; i++) {
                            values[i] = (float) ((random.nextDouble() - 0.5) * 0.6);
                        }
                        p.getArray().set(values);
                    }
                    model.setActiveAdapters(fuse);
                } else {
                    model.setActiveAdapters(names.get(0));
                }
                float[] adapted = LibraryFixture.run(model, manager, c.kind(), in);
                model.saveAdapter(dir, names.toArray(String[]::new));
                if (c.fusion()) {
                    model.saveAdapterFusion(dir.resolve("fusion"), fuse);
                }
                ObjectNode expected = LibraryFixture.JSON.createObjectNode();
                expected.put("source", "written by JavaWrittenAdaptersTest.writeFixtures");
                expected.put("model", c.kind());
                ArrayNode adapters = expected.putArray("adapters");
                names.forEach(adapters::add);
                expected.put("fusion", c.fusion());
                expected.set("inputs", in);
                expected.put("output", c.kind().equals("bert") ? "last_hidden_state" : "logits");
                expected.set("base", shaped(base, in, c.kind(), model));
                expected.set("adapted", shaped(adapted, in, c.kind(), model));
                Files.writeString(dir.resolve("expected.json"), LibraryFixture.JSON.writeValueAsString(expected));
            }
        }
    }

    /** The flat output as nested {@code [batch][tokens][width]} lists, as the library's script writes them. */
    private static ArrayNode shaped(float[] flat, com.fasterxml.jackson.databind.JsonNode in, String kind,
            AdapterModel<?> model) {
        int batch = in.get("input_ids").size();
        int tokens = in.get("input_ids").get(0).size();
        int width = flat.length / (batch * tokens);
        ArrayNode rows = LibraryFixture.JSON.createArrayNode();
        for (int b = 0; b < batch; b++) {
            ArrayNode row = rows.addArray();
            for (int t = 0; t < tokens; t++) {
                ArrayNode cell = row.addArray();
                for (int w = 0; w < width; w++) {
                    cell.add(flat[(b * tokens + t) * width + w]);
                }
            }
        }
        return rows;
    }

    @ParameterizedTest
    @MethodSource("names")
    void committedJavaWrittenAdapterReloadsToTheOutputsWrittenWithIt(String name) throws Exception {
        LibraryFixture fixture = LibraryFixture.open("java-written", name);
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<?> model = LibraryFixture.baseModel(fixture.kind(), manager);
            double base = LibraryFixture.maxDiff(fixture.output("base"), fixture.run(model, manager));
            fixture.loadInto(model);
            float[] adapted = fixture.run(model, manager);
            double diff = LibraryFixture.maxDiff(fixture.output("adapted"), adapted);
            double change = LibraryFixture.maxDiff(fixture.output("base"), adapted);
            assertTrue(base < 1e-5, name + ": base output differs by " + base);
            assertTrue(change > 0.1, name + ": the adapter should change the output, moved it by " + change);
            assertTrue(diff < 1e-5, name + ": reloaded output differs by " + diff);
        }
    }
}
