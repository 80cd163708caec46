package io.github.djladapters.models.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.checkpoint.LoadReport;
import io.github.djladapters.models.checkpoint.CheckpointLoader;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.models.text.TokenBatch;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real all-MiniLM-L6-v2 (ONNX export in langchain4j's jar on Maven Central), loaded into
 * {@link BertModel} through {@link OnnxWeights}, against ONNX Runtime on the same bytes.
 */
class AllMiniLmMatchesOnnxRuntimeTest {


    private static final List<String> SENTENCES = List.of(
            "Hello!",
            "The quick brown fox jumps over the lazy dog.",
            "Adapters let one frozen base model serve many tasks with a few extra weights each.",
            "Low-rank adaptation adds a small trainable update, the product of two thin matrices, to the"
                    + " frozen weights of attention projections in every transformer layer.",
            "Short one.");

    @TempDir Path temp;

    @Test
    void lastHiddenStateMatchesOnnxRuntimeOnEveryTokenOfAPaddedBatch() throws Exception {
        Path onnx = AllMiniLmL6V2.onnxFile(temp);
        TokenBatch batch;
        try (PaddedBatchTokenizer tokenizer = AllMiniLmL6V2.tokenizer(temp, 512)) {
            batch = tokenizer.tokenize(SENTENCES);
        }
        assertTrue(batch.attentionMask()[0][batch.length() - 1] == 0, "the batch must be padded");

        float[][][] expected = onnxRuntime(onnx, batch);

        try (NDManager manager = NDManager.newBaseManager()) {
            LoadMeasurement load = measureLoad(onnx, manager);
            System.out.printf("all-MiniLM-L6-v2 from ONNX: load %d ms, peak heap growth %.1f MiB (weights %.1f MiB)%n",
                    load.millis, load.peakHeapGrowth / 1048576.0, Files.size(onnx) / 1048576.0);
            assertTrue(load.peakHeapGrowth < Files.size(onnx) / 2,
                    "loading must stream weights, not hold a heap copy: peak growth " + load.peakHeapGrowth);
            assertEquals(101, load.report.loaded().size());

            NDList inputs = batch.toNDList(manager);
            NDArray hidden = load.model.forward(new ParameterStore(manager, false), inputs, false).head();
            float[] actual = hidden.toFloatArray();
            int length = batch.length();
            int width = 384;
            double maxAbs = 0;
            int compared = 0;
            for (int b = 0; b < batch.size(); b++) {
                for (int t = 0; t < length; t++) {
                    if (batch.attentionMask()[b][t] == 0) {
                        continue;
                    }
                    for (int h = 0; h < width; h++) {
                        double diff = Math.abs(actual[(b * length + t) * width + h] - expected[b][t][h]);
                        maxAbs = Math.max(maxAbs, diff);
                    }
                    compared++;
                }
            }
            System.out.printf("max abs difference to ONNX Runtime over %d tokens: %.3g%n", compared, maxAbs);
            assertTrue(compared > 60);
            assertTrue(maxAbs < 1e-4, "max abs difference " + maxAbs);
        }
    }

    @Test
    void anonymousMatMulWeightsAreNamedAfterTheirBiasAndTransposed() throws Exception {
        Path onnx = AllMiniLmL6V2.onnxFile(temp);
        try (OnnxWeights weights = OnnxWeights.open(onnx)) {
            assertEquals(36, weights.transposedWeights().size());
            assertEquals("[384, 384]", weights.tensors().get("encoder.layer.0.attention.self.query.weight")
                    .shape().toString().replace("(", "[").replace(")", "]"));
            assertEquals(1536, weights.tensors().get("encoder.layer.5.intermediate.dense.weight").shape().get(0));
            assertEquals(384, weights.tensors().get("encoder.layer.5.output.dense.weight").shape().get(0));
            assertNotNull(weights.tensors().get("embeddings.word_embeddings.weight"));
        }
    }

    private record LoadMeasurement(BertModel model, LoadReport report, long millis, long peakHeapGrowth) {}

    private static LoadMeasurement measureLoad(Path onnx, NDManager manager) throws Exception {
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        System.gc();
        long before = heap.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long start = System.nanoTime();
        BertModel model = new BertModel(BertConfig.allMiniLmL6V2());
        LoadReport report;
        try (OnnxWeights weights = OnnxWeights.open(onnx)) {
            model.setInitializer((m, shape, type) -> m.create(shape, type), p -> true);
            model.initialize(manager);
            report = new CheckpointLoader().ignoreUnexpected(key -> key.equals("embeddings.position_ids"))
                    .load(model, weights);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return new LoadMeasurement(model, report, millis, Math.max(0, peak - before));
    }

    private static float[][][] onnxRuntime(Path onnx, TokenBatch batch) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
                OnnxTensor ids = OnnxTensor.createTensor(env, batch.inputIds());
                OnnxTensor mask = OnnxTensor.createTensor(env, batch.attentionMask());
                OnnxTensor types = OnnxTensor.createTensor(env, batch.tokenTypeIds());
                OrtSession.Result result = session.run(
                        Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
            return (float[][][]) result.get("last_hidden_state").orElseThrow().getValue();
        }
    }
}
