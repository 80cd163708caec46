package io.github.djladapters.models.reft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.TransformersFixture;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.models.llama.LlamaModels;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.reft.ReftConfig;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.runtime.testmodel.ArrayCounts;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ReFT positions are counted on each row's real tokens: in a padded batch (padding on the left or on
 * the right) every row gives, on its real positions, exactly what it gives alone without padding, on
 * the encoder (tiny BERT) and the decoders (tiny Llama and GPT-2); and cached generation, where only
 * the prompt pass is intervened on, equals generation that recomputes the sequence at each step.
 * BERT is checked with right padding only: its absolute positions count from column 0 (as in
 * transformers), so a left-padded BERT row differs from the row alone even without adapters; the
 * positions ReFT picks under left padding are checked directly in the runtime's {@code RealTokensTest}.
 */
class ReftPaddingTest {

    /** Rows of different lengths; the second is shorter than the prefix plus suffix positions. */
    private static final long[][] ROWS = {{1, 5, 17, 33, 9, 20, 21}, {7, 3, 30}, {12, 4, 8, 26, 2}};

    @TempDir
    static Path checkpoints;

    private static Block load(String kind, NDManager manager) throws Exception {
        return switch (kind) {
            case "bert" -> {
                BertConfig config = TinyCheckpoints.tinyBert();
                Path dir = checkpoints.resolve("bert");
                if (!dir.toFile().exists()) {
                    var shapes = TinyCheckpoints.shapes(config);
                    TinyCheckpoints.write(dir, config, shapes, TinyCheckpoints.randomWeights(shapes, 5), TensorDType.F32,
                            1, "");
                }
                yield BertModels.fromCheckpoint(dir, manager);
            }
            case "gpt2" -> GPT2Models.fromCheckpoint(TransformersFixture.open("gpt2-tiny").base(), manager);
            default -> LlamaModels.fromCheckpoint(TransformersFixture.open("llama-tiny").base(), manager);
        };
    }

    /** A ReFT with a prefix and a suffix, its tensors set to seeded N(0, 0.3^2) values. */
    private static AdapterModel<Block> adapted(Block model, NDManager manager, ReftConfig config) {
        AdapterModel<Block> adapters = Adapters.init(model);
        adapters.addAdapter("reft", config);
        Random random = new Random(3);
        Map<String, NDArray> tensors = adapters.adapterTensors("reft", manager);
        tensors.replaceAll((key, value) -> {
            float[] values = new float[(int) value.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * 0.3);
            }
            return manager.create(values, value.getShape());
        });
        adapters.loadAdapterTensors("reft", tensors);
        adapters.setActiveAdapters("reft");
        return adapters;
    }

    /** The model's output for a batch: {@code [B, T, features]} as {@code [b][t][f]}. */
    private static float[][][] forward(Block model, NDManager manager, long[][] ids, long[][] mask) {
        try (NDManager scope = manager.newSubManager()) {
            int batch = ids.length;
            int seq = ids[0].length;
            NDList inputs = new NDList(scope.create(flat(ids), new Shape(batch, seq)));
            if (mask != null) {
                inputs.add(scope.create(flat(mask), new Shape(batch, seq)));
            }
            NDArray out = model.forward(new ParameterStore(scope, false), inputs, false).head();
            int features = Math.toIntExact(out.getShape().get(2));
            float[] values = out.toFloatArray();
            float[][][] result = new float[batch][seq][features];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < seq; t++) {
                    System.arraycopy(values, (b * seq + t) * features, result[b][t], 0, features);
                }
            }
            return result;
        }
    }

    private static long[] flat(long[][] rows) {
        return java.util.Arrays.stream(rows).flatMapToLong(java.util.Arrays::stream).toArray();
    }

    @ParameterizedTest
    @CsvSource({"bert, right", "llama, left", "llama, right", "gpt2, left", "gpt2, right"})
    void eachPaddedRowEqualsTheRowAloneOnItsRealPositions(String kind, String side) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = load(kind, manager);
            AdapterModel<Block> adapters = adapted(model, manager, ReftConfig.loReft().r(2).positions(2, 2).build());
            int width = 0;
            for (long[] row : ROWS) {
                width = Math.max(width, row.length);
            }
            long[][] ids = new long[ROWS.length][width];
            long[][] mask = new long[ROWS.length][width];
            int[] offsets = new int[ROWS.length];
            for (int b = 0; b < ROWS.length; b++) {
                offsets[b] = side.equals("left") ? width - ROWS[b].length : 0;
                for (int t = 0; t < ROWS[b].length; t++) {
                    ids[b][offsets[b] + t] = ROWS[b][t];
                    mask[b][offsets[b] + t] = 1;
                }
            }
            float[][][] batch = forward(model, manager, ids, mask);
            for (int b = 0; b < ROWS.length; b++) {
                float[][] alone = forward(model, manager, new long[][] {ROWS[b]}, null)[0];
                for (int t = 0; t < ROWS[b].length; t++) {
                    float[] expected = alone[t];
                    float[] got = batch[b][offsets[b] + t];
                    for (int f = 0; f < expected.length; f++) {
                        assertEquals(expected[f], got[f], 2e-4, kind + " " + side + "-padded row " + b + " position " + t);
                    }
                }
            }
            // the adapter does act on these rows
            float[][] base;
            try (AdapterModel.DisabledScope off = adapters.disableAdapters()) {
                base = forward(model, manager, new long[][] {ROWS[0]}, null)[0];
            }
            float[][] withReft = forward(model, manager, new long[][] {ROWS[0]}, null)[0];
            assertTrue(maxDiff(base[0], withReft[0]) > 1e-3, "ReFT changes the first position");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void cachedGenerationEqualsRecomputingTheSequence(String kind) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = load(kind, manager);
            Generator generator = new Generator((CausalLanguageModel) model);
            List<int[]> prompts = List.of(new int[] {1, 5, 17, 33, 9}, new int[] {7, 3}, new int[] {12, 4, 8});
            GenerationConfig greedy = GenerationConfig.greedy(6);
            List<int[]> base = generator.generate(manager, prompts, greedy);
            // prefix 3 is longer than the second prompt and the suffix moves as tokens are generated:
            // both would differ between the two loops if generated tokens were intervened on
            adapted(model, manager, ReftConfig.loReft().r(2).positions(3, 2).build());
            List<int[]> cached = generator.generate(manager, prompts, greedy);
            List<int[]> recomputed = generator.generate(manager, prompts, greedy.withCache(false));
            for (int b = 0; b < prompts.size(); b++) {
                assertEquals(java.util.Arrays.toString(cached.get(b)), java.util.Arrays.toString(recomputed.get(b)),
                        "row " + b);
            }
            assertNotEquals(tokens(base), tokens(cached), "the intervention on the prompt changes what is generated");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert", "llama"})
    void repeatedPaddedForwardsAndGenerationsLeaveTheArrayCountsWhereTheyWere(String kind) throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            Block model = load(kind, manager);
            adapted(model, manager, ReftConfig.loReft().r(2).positions(2, 2).build());
            long[][] ids = {{1, 5, 17, 33, 9}, {7, 3, 30, 0, 0}};
            long[][] mask = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}};
            List<int[]> prompts = List.of(new int[] {1, 5, 17, 33, 9}, new int[] {7, 3});
            Runnable round = () -> {
                forward(model, caller, ids, mask);
                if (model instanceof CausalLanguageModel decoder) {
                    new Generator(decoder).generate(caller, prompts, GenerationConfig.greedy(3));
                }
            };
            ArrayCounts.assertFlatOver(30, round, manager, caller);
        }
    }

    private static String tokens(List<int[]> rows) {
        return rows.stream().map(java.util.Arrays::toString).toList().toString();
    }

    private static double maxDiff(float[] x, float[] y) {
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }
}
