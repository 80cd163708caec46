package io.github.djladapters.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.parallel.TorchThreadTeam;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.models.training.RowSplitStep;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One step of the fine-tuning loop run as row groups leaves the loss and every trainable gradient (LoRA and
 * head) of the one-pass step, on a tiny BERT classifier with dropout on in the encoder and in LoRA: the batch
 * is tokenized once and the groups draw the rows of the one-pass dropout masks.
 */
class ClassifierTrainingRowGroupsTest {

    private static final int SEED = 1234;
    private static final List<String> LABELS = List.of("negative", "positive");

    @TempDir
    Path dir;

    @Test
    void aStepAsRowGroupsGivesTheOnePassLossAndGradients() throws IOException {
        List<LabelledText> batch = new ArrayList<>();
        Random random = new Random(5);
        for (int i = 0; i < 7; i++) { // rows of 2 to 8 words: padded to the longest
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 2 + (i * 3) % 7; w++) {
                text.append(w == 0 ? "" : " ").append('w').append(1 + random.nextInt(39));
            }
            batch.add(new LabelledText(text.toString(), LABELS.get(i % 2)));
        }
        try (NDManager manager = NDManager.newBaseManager();
                PaddedBatchTokenizer tokenizer = PaddedBatchTokenizer.open(wordTokenizer(), 16);
                TorchThreadTeam team = TorchThreadTeam.create(2)) {
            TextClassifier classifier = classifier(manager, tokenizer);
            List<Parameter> trainable = classifier.trainableParameters();

            Engine.getInstance().setRandomSeed(SEED);
            float onePass = backward(classifier, batch, null, manager);
            List<float[]> onePassGradients = gradientsThenZero(trainable);

            Engine.getInstance().setRandomSeed(SEED);
            float split = backward(classifier, batch, new RowSplitStep(team, trainable), manager);
            List<float[]> splitGradients = gradientsThenZero(trainable);

            Engine.getInstance().setRandomSeed(SEED + 1);
            float otherMasks = backward(classifier, batch, null, manager);
            List<float[]> otherMaskGradients = gradientsThenZero(trainable);

            assertEquals(onePass, split, 1e-5 * Math.abs(onePass), "the batch's loss");
            assertTrue(Math.abs(onePass - otherMasks) > 1e-3 * Math.abs(onePass),
                    "dropout is on: other masks give another loss (" + onePass + ", " + otherMasks + ")");
            double otherMaskDifference = 0;
            for (int i = 0; i < trainable.size(); i++) {
                float[] expected = onePassGradients.get(i);
                float[] actual = splitGradients.get(i);
                double scale = maxAbs(expected);
                assertTrue(scale > 0, "gradient " + i + " of " + trainable.get(i).getName() + " is not zero");
                for (int k = 0; k < expected.length; k++) {
                    assertEquals(expected[k], actual[k], 1e-5 * scale,
                            "gradient " + i + " of " + trainable.get(i).getName() + " [" + k + "]");
                    otherMaskDifference = Math.max(otherMaskDifference,
                            Math.abs(expected[k] - otherMaskGradients.get(i)[k]) / scale);
                }
            }
            assertTrue(otherMaskDifference > 1e-2, "other masks move the gradients by more than the tolerance");
        }
    }

    private static float backward(TextClassifier classifier, List<LabelledText> batch, RowSplitStep split,
            NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            return ClassifierTraining.backward(classifier, batch, LABELS, split, scope);
        }
    }

    /** A tiny BERT (vocabulary of 40 words) with a LoRA on query and value and a two-label head, dropout 0.1. */
    private static TextClassifier classifier(NDManager manager, PaddedBatchTokenizer tokenizer) {
        BertConfig config = new BertConfig("bert", 40, 16, 2, 2, 24, "gelu", 0.1f, 0.1f, 32, 2, 1e-12, 0, 2);
        Engine.getInstance().setRandomSeed(7);
        BertModel base = new BertModel(config, false);
        base.setInitializer(new NormalInitializer(0.3f), p -> true);
        base.initialize(manager);
        AdapterModel<BertModel> adapters = Adapters.init(base);
        adapters.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).loraDropout(0.1)
                .targetModules("query", "value").build());
        TextClassifier classifier = new TextClassifier(adapters, tokenizer, ClassifierHead.create(LABELS, 16, manager));
        classifier.trainAdapter("lora");
        Random random = new Random(3);
        for (Parameter p : classifier.trainableParameters()) { // LoRA's B starts at zero: give A a gradient too
            float[] values = p.getArray().toFloatArray();
            for (int i = 0; i < values.length; i++) {
                values[i] += (float) (0.2 * random.nextGaussian());
            }
            p.getArray().set(values);
        }
        return classifier;
    }

    /** A word-level tokenizer.json over w0..w39 (w0 also stands for unknown words). */
    private Path wordTokenizer() throws IOException {
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            vocab.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
        }
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                + "\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                + "\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"w0\"}}");
        return file;
    }

    private static List<float[]> gradientsThenZero(List<Parameter> parameters) {
        List<float[]> values = new ArrayList<>();
        for (Parameter p : parameters) {
            values.add(p.getArray().getGradient().toFloatArray());
            p.getArray().getGradient().set(new NDIndex(":"), 0);
        }
        return values;
    }

    private static double maxAbs(float[] values) {
        double max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }
}
