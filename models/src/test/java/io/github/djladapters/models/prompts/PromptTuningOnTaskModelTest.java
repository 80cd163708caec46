package io.github.djladapters.models.prompts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.bert.TinyCheckpoints;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import io.github.djladapters.models.heads.BertTaskModel;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.prefix.PrefixTuningConfig;
import io.github.djladapters.runtime.methods.prompt.PromptTuningConfig;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prompt and prefix tuning on a BERT sequence classifier ({@code BertTaskModel}), as PEFT's
 * {@code PeftModelForSequenceClassification} applies them: the pooler reads the first position,
 * which under prompt tuning is the first virtual token. The classifier's logits equal the pooler and
 * classifier computed by hand on the hidden states of a plain {@code BertModel} with the same weights
 * and the same adapter loaded from the classifier's saved files.
 */
class PromptTuningOnTaskModelTest {

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"prompt", "prefix"})
    void sequenceClassifierPoolsWhatTheEncoderWithTheAdapterGives(String method) throws Exception {
        BertConfig config = TinyCheckpoints.tinyBert();
        Map<String, Shape> shapes = TinyCheckpoints.shapes(config);
        Map<String, float[]> values = TinyCheckpoints.randomWeights(shapes, 41);
        int h = config.hiddenSize();
        int labels = config.numLabels();
        float[] poolerW = TinyCheckpoints.randomWeights(Map.of("w", new Shape(h, h)), 42).get("w");
        float[] poolerB = TinyCheckpoints.randomWeights(Map.of("b", new Shape(h)), 43).get("b");
        float[] classW = TinyCheckpoints.randomWeights(Map.of("w", new Shape(labels, h)), 44).get("w");
        float[] classB = TinyCheckpoints.randomWeights(Map.of("b", new Shape(labels)), 45).get("b");
        Path taskDir = temp.resolve("task");
        Files.createDirectories(taskDir);
        SafetensorsWriter writer = new SafetensorsWriter();
        shapes.forEach((name, shape) -> writer.addFloats("bert." + name, shape, values.get(name), TensorDType.F32));
        writer.addFloats("bert.pooler.dense.weight", new Shape(h, h), poolerW, TensorDType.F32);
        writer.addFloats("bert.pooler.dense.bias", new Shape(h), poolerB, TensorDType.F32);
        writer.addFloats("classifier.weight", new Shape(labels, h), classW, TensorDType.F32);
        writer.addFloats("classifier.bias", new Shape(labels), classB, TensorDType.F32);
        writer.write(taskDir.resolve("model.safetensors"));
        Path baseDir = temp.resolve("base");
        TinyCheckpoints.write(baseDir, config, shapes, values, TensorDType.F32, 1, "");

        try (NDManager manager = NDManager.newBaseManager()) {
            BertTaskModel task = new BertTaskModel(config, BertTaskModel.Task.SEQUENCE_CLASSIFICATION);
            try (TensorSource weights = CheckpointDirectory.open(taskDir)) {
                BertModels.load(task, weights, manager);
            }
            AdapterModel<BertTaskModel> classifier = Adapters.init(task, task.adapterInterface());
            AdapterConfig adapter = method.equals("prompt") ? PromptTuningConfig.builder().numVirtualTokens(4).build()
                    : PrefixTuningConfig.builder().numVirtualTokens(4).build();
            classifier.addAdapter("p", adapter);
            classifier.setActiveAdapters("p");
            classifier.saveAdapter(temp.resolve("adapter"), "p");
            long[][][] batch = TinyCheckpoints.paddedBatch(config, 6);
            NDList inputs = new NDList(manager.create(batch[0]), manager.create(batch[1]), manager.create(batch[2]));
            float[] logits = classifier.forward(inputs).head().toFloatArray();

            AdapterModel<BertModel> encoder = Adapters.init(BertModels.fromCheckpoint(baseDir, manager));
            encoder.loadAdapter(temp.resolve("adapter").resolve("p"), "p");
            encoder.setActiveAdapters("p");
            NDArray hidden = encoder.forward(inputs).head(); // [B, n + T, H] for prompt tuning
            float[][] first = rows(hidden.get(":, 0, :").toFloatArray(), h); // what the pooler reads
            float[] base;
            try (AdapterModel.DisabledScope off = classifier.disableAdapters()) {
                base = classifier.forward(inputs).head().toFloatArray();
            }
            double change = 0;
            for (int b = 0; b < first.length; b++) {
                float[] pooled = tanh(linear(first[b], poolerW, poolerB, h));
                float[] expected = linear(pooled, classW, classB, labels);
                float[] ours = Arrays.copyOfRange(logits, b * labels, (b + 1) * labels);
                assertArrayEquals(expected, ours, 1e-5f, "row " + b);
                for (int l = 0; l < labels; l++) {
                    change = Math.max(change, Math.abs(ours[l] - base[b * labels + l]));
                }
            }
            assertTrue(change > 1e-3, "the adapter changes the logits: " + change);
        }
    }

    private static float[][] rows(float[] flat, int width) {
        float[][] rows = new float[flat.length / width][width];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(flat, r * width, rows[r], 0, width);
        }
        return rows;
    }

    private static float[] linear(float[] x, float[] weight, float[] bias, int out) {
        float[] y = new float[out];
        for (int o = 0; o < out; o++) {
            double sum = bias[o];
            for (int i = 0; i < x.length; i++) {
                sum += weight[o * x.length + i] * x[i];
            }
            y[o] = (float) sum;
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
}
