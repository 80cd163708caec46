package io.github.djladapters.models.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.bert.ReferenceBert;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Task heads on seeded checkpoints in Hugging Face task layout, against plain-Java arithmetic. */
class TaskHeadsTest {

    private static final float TOLERANCE = 1e-4f;

    @TempDir Path temp;

    private final NDManager results = NDManager.newBaseManager();

    @AfterEach
    void closeResults() {
        results.close();
    }

    @Test
    void meanAndClsPoolingWithL2NormalisationGiveTheExpectedVectors() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray hidden = manager.create(new float[] {1, 2, 3, 4, 100, 100, 3, 4, 0, 0, 0, 0}, new Shape(2, 3, 2));
            NDArray mask = manager.create(new long[][] {{1, 1, 0}, {1, 0, 0}});
            ParameterStore ps = new ParameterStore(manager, false);
            float[] mean = new SentencePooling(SentencePooling.Mode.MEAN, false)
                    .forward(ps, new NDList(hidden, mask), false).head().toFloatArray();
            assertArrayEquals(new float[] {2, 3, 3, 4}, mean, 1e-6f);
            float[] cls = new SentencePooling(SentencePooling.Mode.CLS, true)
                    .forward(ps, new NDList(hidden, mask), false).head().toFloatArray();
            float n = (float) Math.sqrt(5);
            assertArrayEquals(new float[] {1 / n, 2 / n, 0.6f, 0.8f}, cls, 1e-6f);
        }
    }

    @Test
    void bertSequenceClassificationAppliesPoolerThenClassifier() throws Exception {
        BertConfig config = TinyCheckpoints.tinyBert();
        Fixture f = fixture(config, BertTaskModel.Task.SEQUENCE_CLASSIFICATION, 31);
        float[] logits = f.outputs.get(0).toFloatArray();
        for (int b = 0; b < 3; b++) {
            float[] pooled = tanh(linear(f.hidden[b][0], f.head("bert.pooler.dense")));
            float[] expected = linear(pooled, f.head("classifier"));
            assertArrayEquals(expected, slice(logits, b, 3), TOLERANCE);
        }
    }

    @Test
    void robertaSequenceClassificationUsesDenseTanhOutProjOnTheFirstToken() throws Exception {
        BertConfig config = TinyCheckpoints.tinyRoberta();
        Fixture f = fixture(config, BertTaskModel.Task.SEQUENCE_CLASSIFICATION, 32);
        float[] logits = f.outputs.get(0).toFloatArray();
        for (int b = 0; b < 3; b++) {
            float[] dense = tanh(linear(f.hidden[b][0], f.head("classifier.dense")));
            assertArrayEquals(linear(dense, f.head("classifier.out_proj")), slice(logits, b, 3), TOLERANCE);
        }
    }

    @Test
    void tokenClassificationScoresEveryToken() throws Exception {
        BertConfig config = TinyCheckpoints.tinyBert();
        Fixture f = fixture(config, BertTaskModel.Task.TOKEN_CLASSIFICATION, 33);
        assertEquals(new Shape(3, 7, 3), f.outputs.get(0).getShape());
        float[] logits = f.outputs.get(0).toFloatArray();
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 7; t++) {
                if (f.batch[1][b][t] == 1) {
                    assertArrayEquals(linear(f.hidden[b][t], f.head("classifier")), slice(logits, b * 7 + t, 3),
                            TOLERANCE);
                }
            }
        }
    }

    @Test
    void questionAnsweringSplitsStartAndEndLogits() throws Exception {
        BertConfig config = TinyCheckpoints.tinyBert();
        Fixture f = fixture(config, BertTaskModel.Task.QUESTION_ANSWERING, 34);
        float[] start = f.outputs.get(0).toFloatArray();
        float[] end = f.outputs.get(1).toFloatArray();
        assertEquals(new Shape(3, 7), f.outputs.get(1).getShape());
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 7; t++) {
                if (f.batch[1][b][t] == 1) {
                    float[] both = linear(f.hidden[b][t], f.head("qa_outputs"));
                    assertEquals(both[0], start[b * 7 + t], TOLERANCE);
                    assertEquals(both[1], end[b * 7 + t], TOLERANCE);
                }
            }
        }
    }

    private record Fixture(long[][][] batch, float[][][] hidden, NDList outputs, Map<String, float[]> heads,
            Map<String, Shape> headShapes) {

        float[][] head(String name) {
            return new float[][] {heads.get(name + ".weight"), heads.get(name + ".bias"),
                {headShapes.get(name + ".weight").get(1)}};
        }
    }

    /** Writes a task checkpoint (base keys under bert./roberta.), loads it and runs one batch. */
    private Fixture fixture(BertConfig config, BertTaskModel.Task task, long seed) throws Exception {
        Map<String, Shape> base = TinyCheckpoints.shapes(config);
        Map<String, float[]> baseValues = TinyCheckpoints.randomWeights(base, seed);
        int h = config.hiddenSize();
        Map<String, Shape> headShapes = new LinkedHashMap<>();
        switch (task) {
            case QUESTION_ANSWERING -> headShapes.put("qa_outputs", new Shape(2, h));
            case TOKEN_CLASSIFICATION -> headShapes.put("classifier", new Shape(3, h));
            case SEQUENCE_CLASSIFICATION -> {
                if (config.isRoberta()) {
                    headShapes.put("classifier.dense", new Shape(h, h));
                    headShapes.put("classifier.out_proj", new Shape(3, h));
                } else {
                    headShapes.put("bert.pooler.dense", new Shape(h, h));
                    headShapes.put("classifier", new Shape(3, h));
                }
            }
        }
        Map<String, Shape> headTensors = new LinkedHashMap<>();
        headShapes.forEach((name, shape) -> {
            headTensors.put(name + ".weight", shape);
            headTensors.put(name + ".bias", new Shape(shape.get(0)));
        });
        Map<String, float[]> headValues = TinyCheckpoints.randomWeights(headTensors, seed + 100);
        Path dir = temp.resolve(task.name());
        String prefix = config.baseModelPrefix() + ".";
        SafetensorsWriter writer = new SafetensorsWriter();
        base.forEach((name, shape) -> writer.addFloats(prefix + name, shape, baseValues.get(name), TensorDType.F32));
        headTensors.forEach((name, shape) -> writer.addFloats(name, shape, headValues.get(name), TensorDType.F32));
        Files.createDirectories(dir);
        writer.write(dir.resolve("model.safetensors"));

        long[][][] batch = TinyCheckpoints.paddedBatch(config, seed);
        float[][][] hidden = new ReferenceBert(config, baseValues).forward(batch[0], batch[1], batch[2]);
        NDManager manager = NDManager.newBaseManager();
        try {
            BertTaskModel model = new BertTaskModel(config, task);
            try (TensorSource weights = CheckpointDirectory.open(dir)) {
                BertModels.load(model, weights, manager);
            }
            NDList inputs = new NDList(manager.create(batch[0]), manager.create(batch[1]), manager.create(batch[2]));
            NDList outputs = model.forward(new ParameterStore(manager, false), inputs, false);
            NDList copies = new NDList();
            for (NDArray out : outputs) {
                NDArray copy = results.create(out.toFloatArray(), out.getShape());
                copies.add(copy);
            }
            return new Fixture(batch, hidden, copies, headValues, headTensors);
        } finally {
            manager.close();
        }
    }

    /** {weight, bias, {in}} applied to x. */
    private static float[] linear(float[] x, float[][] layer) {
        float[] w = layer[0];
        float[] b = layer[1];
        int in = x.length;
        float[] y = new float[b.length];
        for (int o = 0; o < b.length; o++) {
            double s = b[o];
            for (int i = 0; i < in; i++) {
                s += w[o * in + i] * x[i];
            }
            y[o] = (float) s;
        }
        return y;
    }

    private static float[] tanh(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) Math.tanh(x[i]);
        }
        return y;
    }

    private static float[] slice(float[] values, int row, int width) {
        float[] out = new float[width];
        System.arraycopy(values, row * width, out, 0, width);
        return out;
    }
}
