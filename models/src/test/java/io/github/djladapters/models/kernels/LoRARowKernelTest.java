package io.github.djladapters.models.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.methods.lora.LoRALayer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.gpt2.GPT2LMHeadModel;
import io.github.djladapters.models.gpt2.GPT2Models;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA's per-row kernel ({@code lora_row_runs}): its in-place sums equal the products computed one
 * row at a time in Java, and a mixed batch of sequences through it (a frozen and a trainable adapter of two ranks,
 * base-model rows, rows grouped and interleaved) gives each row the output of that row run alone with
 * its adapter active, and the batched products' output; a tiny GPT-2's mixed generation (prompts of 16+
 * tokens through the kernel, then decoding steps of one token per row through the batched products) gives
 * each prompt the tokens it gets alone with its adapter.
 */
class LoRARowKernelTest {

    private static final int TOKENS = 20; // at least the 16 tokens per row from which the kernel applies
    private static final List<String> ROWS = List.of("a", "a", "", "b", "a", "b", "", "b");

    @AfterEach
    void kernelOnAgain() {
        LoRALayer.perRowKernel(true);
    }

    @Test
    void runsAddEachRowsOwnProductInPlace() {
        try (NDManager manager = NDManager.newBaseManager(); GradientsOff off = GradientsOff.onThisThread()) {
            Random random = new Random(5);
            int batch = 5;
            int tokens = 3;
            int in = 6;
            int out = 4;
            int[] ranks = {2, 3};
            double[] scalings = {0.5, 2.0};
            float[] x = gaussian(random, batch * tokens * in);
            float[][] a = {gaussian(random, ranks[0] * in), gaussian(random, ranks[1] * in)};
            float[][] b = {gaussian(random, out * ranks[0]), gaussian(random, out * ranks[1])};
            float[] base = gaussian(random, batch * tokens * out);
            int[] adapterOfRow = {0, 0, -1, 1, 0}; // rows 0-1 and 4 on adapter 0, row 2 on the base model, row 3 on 1
            NDArray result = manager.create(base, new Shape(batch, tokens, out));
            NDArray input = manager.create(x, new Shape(batch, tokens, in));
            TorchLoRARowKernel kernel = new TorchLoRARowKernel();
            assertTrue(kernel.applies(result, input));
            kernel.addRuns(result, input,
                    List.of(manager.create(a[0], new Shape(ranks[0], in)), manager.create(a[1], new Shape(ranks[1], in))),
                    List.of(manager.create(b[0], new Shape(out, ranks[0])), manager.create(b[1], new Shape(out, ranks[1]))),
                    scalings, new long[] {0, 2, 0, 3, 4, 1, 4, 5, 0});
            float[] expected = base.clone();
            for (int row = 0; row < batch; row++) {
                int k = adapterOfRow[row];
                if (k < 0) {
                    continue;
                }
                for (int t = 0; t < tokens; t++) {
                    for (int o = 0; o < out; o++) {
                        double sum = 0;
                        for (int r = 0; r < ranks[k]; r++) {
                            double down = 0;
                            for (int i = 0; i < in; i++) {
                                down += x[(row * tokens + t) * in + i] * a[k][r * in + i];
                            }
                            sum += down * b[k][o * ranks[k] + r];
                        }
                        expected[(row * tokens + t) * out + o] += (float) (scalings[k] * sum);
                    }
                }
            }
            float[] actual = result.toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), "value " + i);
            }
            assertTrue(Math.abs(actual[0] - base[0]) > 1e-3, "row 0 was changed");
            assertEquals(base[2 * tokens * out], actual[2 * tokens * out], 0f, "the base-model row is left alone");
        }
    }

    @Test
    void mixedSequencesThroughTheKernelEqualEachRowAlone() {
        try (NDManager manager = NDManager.newBaseManager(); GradientsOff off = GradientsOff.onThisThread()) {
            BertModel bert = new BertModel(TinyCheckpoints.tinyBert());
            bert.initialize(manager);
            AdapterModel<BertModel> peft = Adapters.init(bert);
            LoRAConfig lora = LoRAConfig.builder().r(2).loraAlpha(4).targetModules("query", "value")
                    .initLoraWeights(LoRAInit.NONE).build();
            peft.addAdapter("a", lora);
            peft.addAdapter("b", lora.toBuilder().r(4).loraAlpha(8).targetModules("query", "value", "dense").build());
            peft.freezeAdapter("a", true); // b stays trainable: the kernel keeps nothing, so it takes both
            long[][] ids = new long[ROWS.size()][TOKENS];
            Random random = new Random(11);
            for (long[] row : ids) {
                for (int t = 0; t < TOKENS; t++) {
                    row[t] = 1 + random.nextInt(39);
                }
            }
            float[] kernel = mixed(peft, manager, ids);
            LoRALayer.perRowKernel(false);
            float[] batched = mixed(peft, manager, ids);
            LoRALayer.perRowKernel(true);
            int row = kernel.length / ROWS.size();
            float scale = 0;
            for (float v : kernel) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertEquals(0, maxDiff(kernel, batched), 1e-5 * scale, "kernel against batched products");
            float[] base = alone(peft, manager, ids[0], "");
            for (int r = 0; r < ROWS.size(); r++) {
                float[] inBatch = Arrays.copyOfRange(kernel, r * row, (r + 1) * row);
                float[] single = alone(peft, manager, ids[r], ROWS.get(r));
                assertEquals(0, maxDiff(single, inBatch), 1e-5 * scale, "row " + r + " with '" + ROWS.get(r) + "'");
            }
            float[] firstRow = Arrays.copyOfRange(kernel, 0, row);
            assertTrue(maxDiff(base, firstRow) > 1e-3, "the adapter changes row 0");
        }
    }

    @Test
    void mixedGenerationPrefillsThroughTheKernelAndDecodesLikeEachPromptAlone(@TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); NDManager caller = NDManager.newBaseManager()) {
            GPT2Config config = TinyDecoderCheckpoints.tinyGpt2();
            var shapes = TinyDecoderCheckpoints.shapes(config);
            TinyDecoderCheckpoints.write(dir, config.toJson(), shapes, TinyDecoderCheckpoints.randomWeights(shapes, 23, 0.3));
            GPT2LMHeadModel gpt2 = GPT2Models.fromCheckpoint(dir, manager);
            AdapterModel<GPT2LMHeadModel> peft = Adapters.init(gpt2);
            LoRAConfig lora = LoRAConfig.builder().r(4).loraAlpha(8).initLoraWeights(LoRAInit.NONE).build();
            peft.addAdapter("a", lora);
            peft.addAdapter("b", lora.toBuilder().r(2).build());
            peft.freezeAdapter("a", true);
            peft.freezeAdapter("b", true);
            Random random = new Random(13);
            List<int[]> prompts = new java.util.ArrayList<>();
            for (int length : new int[] {18, 20, 17, 19}) {
                prompts.add(random.ints(length, 1, 50).toArray());
            }
            List<String> rows = List.of("b", "", "a", "b");
            GenerationConfig greedy = GenerationConfig.greedy(6);
            List<int[]> mixed;
            try (AdapterModel.RowAdapters routed = peft.routeRows(rows, caller)) {
                mixed = new Generator(gpt2).generate(caller, prompts, greedy);
            }
            LoRALayer.perRowKernel(false);
            List<int[]> batched;
            try (AdapterModel.RowAdapters routed = peft.routeRows(rows, caller)) {
                batched = new Generator(gpt2).generate(caller, prompts, greedy);
            }
            LoRALayer.perRowKernel(true);
            List<int[]> bases = new java.util.ArrayList<>();
            for (int r = 0; r < rows.size(); r++) {
                if (rows.get(r).isEmpty()) {
                    peft.setActiveAdapters();
                } else {
                    peft.setActiveAdapters(rows.get(r));
                }
                int[] alone = new Generator(gpt2).generate(caller, List.of(prompts.get(r)), greedy).get(0);
                peft.setActiveAdapters();
                bases.add(new Generator(gpt2).generate(caller, List.of(prompts.get(r)), greedy).get(0));
                org.junit.jupiter.api.Assertions.assertArrayEquals(alone, mixed.get(r), "prompt " + r + " with '"
                        + rows.get(r) + "'");
                org.junit.jupiter.api.Assertions.assertArrayEquals(alone, batched.get(r), "batched, prompt " + r);
            }
            assertTrue(!Arrays.equals(bases.get(0), mixed.get(0)) || !Arrays.equals(bases.get(2), mixed.get(2))
                    || !Arrays.equals(bases.get(3), mixed.get(3)), "the adapters change some prompt's tokens");
        }
    }

    private static float[] mixed(AdapterModel<BertModel> peft, NDManager manager, long[][] ids) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.create(ids);
            NDList inputs = new NDList(input, scope.ones(input.getShape(), input.getDataType()),
                    scope.zeros(input.getShape(), input.getDataType()));
            return peft.forward(inputs, ROWS).head().toFloatArray();
        }
    }

    private static float[] alone(AdapterModel<BertModel> peft, NDManager manager, long[] ids, String adapter) {
        if (adapter.isEmpty()) {
            peft.setActiveAdapters();
        } else {
            peft.setActiveAdapters(adapter);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.create(new long[][] {ids});
            NDList inputs = new NDList(input, scope.ones(input.getShape(), input.getDataType()),
                    scope.zeros(input.getShape(), input.getDataType()));
            return peft.forward(inputs).head().toFloatArray();
        }
    }

    private static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
