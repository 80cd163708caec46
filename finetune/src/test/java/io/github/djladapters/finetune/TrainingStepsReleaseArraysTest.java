package io.github.djladapters.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.testmodel.LiveArrays;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classification loop of the main job ({@link ClassifierTraining}: tokenizing, forward, cross-entropy,
 * backward, {@code FusedAdam}, the NaN check) leaves the process's open arrays and managers as they were:
 * the counts after step 4 and after step 31 of one run are equal (a tiny BERT with the real tokenizer's
 * vocabulary, LoRA in training, the head trainable).
 */
class TrainingStepsReleaseArraysTest {

    private static final int FEW = 4;
    private static final int MANY = 31;

    @TempDir
    Path dir;

    @Test
    void classifierTrainingStepsLeaveNothingOpen() throws Exception {
        List<LabelledText> examples = new ArrayList<>();
        String[] words = {"great", "awful", "fine", "broken", "lovely", "poor", "works well", "stopped working"};
        for (int i = 0; i < 16; i++) {
            examples.add(new LabelledText("it is " + words[i % words.length] + " " + i, i % 2 == 0 ? "good" : "bad"));
        }
        try (NDManager manager = NDManager.newBaseManager();
                PaddedBatchTokenizer tokenizer = AllMiniLmL6V2.tokenizer(dir, 16)) {
            Engine.getInstance().setRandomSeed(5);
            BertModel bert = new BertModel(new BertConfig("bert", 30522, 16, 2, 2, 24, "gelu", 0.1f, 0.1f, 32, 2,
                    1e-12, 0, 2));
            bert.initialize(manager);
            AdapterModel<BertModel> adapters = Adapters.init(bert);
            adapters.addAdapter("lora", LoRAConfig.builder().r(4).loraAlpha(8).loraDropout(0.1)
                    .targetModules("query", "value").build());
            TextClassifier classifier = new TextClassifier(adapters, tokenizer,
                    ClassifierHead.create(List.of("bad", "good"), 16, manager));
            classifier.trainAdapter("lora");
            LiveArrays[] counts = new LiveArrays[MANY + 1];
            TrainingHistory history = new ClassifierTraining(classifier, new TrainingSettings(8, 4, 1e-2f, 3, MANY))
                    .train(examples, new TrainingProgress() {
                        @Override
                        public void started(int firstStep, int totalSteps) {}

                        @Override
                        public void stepped(int step, float loss) {
                            if (step == FEW || step == MANY) {
                                counts[step] = LiveArrays.now();
                            }
                        }

                        @Override
                        public void finished() {}
                    });
            assertEquals(MANY, history.losses().size());
            assertNotNull(counts[MANY]);
            System.out.printf("classifier training: live arrays/managers after step %d %s, after step %d %s%n", FEW,
                    counts[FEW], MANY, counts[MANY]);
            assertEquals(counts[FEW], counts[MANY], "open arrays and managers after step " + FEW + " and " + MANY);
            assertTrue(history.recentLoss(4) < history.losses().get(0), "the loss went down: " + history.losses());
        }
    }
}
