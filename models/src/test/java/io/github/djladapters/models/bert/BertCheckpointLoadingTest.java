package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import io.github.djladapters.models.checkpoint.CheckpointLoader;
import io.github.djladapters.models.checkpoint.LoadReport;
import io.github.djladapters.models.checkpoint.ParameterNames;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seeded random BERT and RoBERTa checkpoints in Hugging Face layout against a plain-Java forward pass. */
class BertCheckpointLoadingTest {

    @TempDir Path temp;

    @Test
    void bertFromSingleF32FileMatchesPlainJavaReference() throws Exception {
        assertMatchesReference(TinyCheckpoints.tinyBert(), TensorDType.F32, 1, 11);
    }

    @Test
    void bertFromShardedF16FilesMatchesPlainJavaReference() throws Exception {
        assertMatchesReference(TinyCheckpoints.tinyBert(), TensorDType.F16, 3, 12);
    }

    @Test
    void robertaFromShardedBf16FilesMatchesPlainJavaReference() throws Exception {
        assertMatchesReference(TinyCheckpoints.tinyRoberta(), TensorDType.BF16, 2, 13);
    }

    @Test
    void robertaFromSingleF32FileMatchesPlainJavaReference() throws Exception {
        assertMatchesReference(TinyCheckpoints.tinyRoberta(), TensorDType.F32, 1, 14);
    }

    @Test
    void robertaPositionsStartAfterThePaddingId() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            BertEmbeddings embeddings = new BertModel(TinyCheckpoints.tinyRoberta()).embeddings;
            long[] positions = embeddings.positionIds(manager.create(new long[][] {{0, 5, 7, 1, 1}})).toLongArray();
            assertEquals("[2, 3, 4, 1, 1]", java.util.Arrays.toString(positions));
        }
    }

    @Test
    void taskCheckpointWithBertPrefixLoadsTheBaseModelAndReportsTheHead() throws Exception {
        BertConfig config = TinyCheckpoints.tinyBert();
        Map<String, Shape> shapes = new java.util.LinkedHashMap<>(TinyCheckpoints.shapes(config));
        Map<String, float[]> values = TinyCheckpoints.randomWeights(shapes, 21);
        Path dir = temp.resolve("task");
        TinyCheckpoints.write(dir, config, shapes, values, TensorDType.F32, 1, "bert.");
        try (NDManager manager = NDManager.newBaseManager();
                TensorSource weights = CheckpointDirectory.open(dir)) {
            BertModel model = new BertModel(config);
            model.setInitializer((m, s, t) -> m.create(s, t), p -> true);
            model.initialize(manager);
            LoadReport report = new CheckpointLoader().load(model, weights);
            assertEquals(shapes.size(), report.loaded().size());
            assertTrue(report.unexpected().isEmpty());
            float[] query = ParameterNames.of(model).get("encoder.layer.1.attention.self.query.weight")
                    .getArray().toFloatArray();
            assertEquals(values.get("encoder.layer.1.attention.self.query.weight")[5], query[5], 0f);
        }
    }

    @Test
    void parameterNamesAreHuggingFaceTensorNamesAndHookPointsAddNone() {
        BertConfig config = TinyCheckpoints.tinyBert();
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = new BertModel(config, true);
            model.initialize(manager);
            Map<String, Shape> expected = new java.util.LinkedHashMap<>(TinyCheckpoints.shapes(config));
            expected.put("pooler.dense.weight", new Shape(16, 16));
            expected.put("pooler.dense.bias", new Shape(16));
            Map<String, ai.djl.nn.Parameter> actual = ParameterNames.of(model);
            assertEquals(expected.keySet(), actual.keySet());
            expected.forEach((name, shape) -> assertEquals(shape, actual.get(name).getArray().getShape(), name));
            assertFalse(actual.keySet().stream().anyMatch(k -> k.contains("pre_")));
        }
    }

    private void assertMatchesReference(BertConfig config, TensorDType dtype, int shards, long seed) throws Exception {
        Map<String, Shape> shapes = TinyCheckpoints.shapes(config);
        Map<String, float[]> values = TinyCheckpoints.randomWeights(shapes, seed);
        Path dir = temp.resolve(config.modelType() + "-" + dtype + "-" + shards);
        TinyCheckpoints.write(dir, config, shapes, values, dtype, shards, "");
        long[][][] batch = TinyCheckpoints.paddedBatch(config, seed);
        float[][][] expected = new ReferenceBert(config, TinyCheckpoints.roundTrip(values, dtype))
                .forward(batch[0], batch[1], batch[2]);
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = BertModels.fromCheckpoint(dir, manager);
            assertEquals(config, model.config());
            NDList inputs = new NDList(manager.create(batch[0]), manager.create(batch[1]), manager.create(batch[2]));
            float[] actual = model.forward(new ParameterStore(manager, false), inputs, false).head().toFloatArray();
            double maxAbs = 0;
            int tokens = 0;
            int h = config.hiddenSize();
            for (int b = 0; b < batch[0].length; b++) {
                for (int t = 0; t < batch[0][b].length; t++) {
                    if (batch[1][b][t] == 0) {
                        continue;
                    }
                    tokens++;
                    for (int i = 0; i < h; i++) {
                        maxAbs = Math.max(maxAbs, Math.abs(actual[(b * batch[0][b].length + t) * h + i]
                                - expected[b][t][i]));
                    }
                }
            }
            assertEquals(13, tokens);
            assertTrue(maxAbs < 1e-4, config.modelType() + " " + dtype + ": max abs difference " + maxAbs);
        }
    }
}
