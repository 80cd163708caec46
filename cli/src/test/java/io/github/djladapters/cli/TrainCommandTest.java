package io.github.djladapters.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djladapters.runtime.files.PeftAdapterFiles;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.finetune.TrainingCheckpoint;
import io.github.djladapters.finetune.TrainingReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    @TempDir
    Path dir;

    @Test
    void trainsSavesAndResumesFromTheCheckpoint() throws Exception {
        Path data = TrainedAdapter.writeReviews(dir.resolve("reviews.csv"));
        Path output = dir.resolve("out");
        CommandRun first = CommandRun.withModel("train", "--data", data.toString(), "--eval-data", data.toString(),
                "--output", output.toString(), "--epochs", "1", "--batch-size", "4", "--max-length", "32");
        assertEquals(DjlAdapters.OK, first.code(), first.toString());
        assertTrue(first.out().contains("trainable params: 74,498"), first.toString());
        assertTrue(first.out().contains("2/2  loss"), "progress bar: " + first);
        assertTrue(first.out().contains("held-out accuracy before") && first.out().contains("after"), first.toString());
        for (String file : new String[] {PeftAdapterFiles.CONFIG_FILE, PeftAdapterFiles.WEIGHTS_FILE, SavedClassifier.HEAD_FILE,
                TrainingReport.CHART_FILE, TrainingReport.HTML_FILE}) {
            assertTrue(Files.size(output.resolve(file)) > 0, file);
        }
        Path checkpoint = output.resolve(TrainCommand.CHECKPOINT_DIR);
        assertEquals(1, TrainingCheckpoint.readHistory(checkpoint).epochs());

        CommandRun resumed = CommandRun.withModel("train", "--data", data.toString(), "--output", output.toString(),
                "--epochs", "2", "--batch-size", "4", "--max-length", "32", "--resume");
        assertEquals(DjlAdapters.OK, resumed.code(), resumed.toString());
        assertTrue(resumed.out().contains("Resuming from") && resumed.out().contains("after epoch 1 (2 steps)"),
                resumed.toString());
        assertTrue(resumed.out().contains("4/4  loss"), resumed.toString());
        assertEquals(4, TrainingCheckpoint.readHistory(checkpoint).losses().size());
    }

    @Test
    void trainsIa3FromAJsonConfigFile() throws Exception {
        Path data = TrainedAdapter.writeReviews(dir.resolve("reviews.csv"));
        Path config = dir.resolve("ia3.json");
        Files.writeString(config, """
                {"peft_type": "IA3", "target_modules": ["key", "value", "output.dense"],
                 "feedforward_modules": ["output.dense"]}
                """);
        CommandRun run = CommandRun.withModel("train", "--data", data.toString(), "--output",
                dir.resolve("ia3").toString(), "--config", config.toString(), "--max-steps", "1", "--batch-size", "4",
                "--max-length", "32");
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        assertTrue(run.out().contains("ia3"), run.toString());
        assertTrue(Files.readString(dir.resolve("ia3").resolve(PeftAdapterFiles.CONFIG_FILE)).contains("IA3"));
    }

    @Test
    void trainsPromptTuningPTuningAndPrefixTuningFromMethodOptions() throws Exception {
        Path data = TrainedAdapter.writeReviews(dir.resolve("reviews.csv"));
        // trainable: the method's parameters plus the head (384 x 2 + 2 = 770), with n = 4 virtual tokens
        String[][] methods = {
            {"prompt-tuning", "2,306", "PROMPT_TUNING"},                       // 4 x 384
            {"p-tuning", "15,266", "P_TUNING", "encoder_hidden_size=16"},     // 4 x 384 + MLP 384 -> 16 -> 16 -> 384
            {"prefix-tuning", "19,202", "PREFIX_TUNING"}                        // 4 x 2 x 6 x 384
        };
        for (String[] method : methods) {
            List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--output",
                    dir.resolve(method[0]).toString(), "--method", method[0], "--method-option", "num_virtual_tokens=4",
                    "--max-steps", "2", "--batch-size", "4", "--max-length", "32"));
            if (method.length > 3) {
                args.addAll(List.of("--method-option", method[3]));
            }
            CommandRun run = CommandRun.withModel(args.toArray(String[]::new));
            assertEquals(DjlAdapters.OK, run.code(), run.toString());
            assertTrue(run.out().contains("trainable params: " + method[1] + " ||"), run.toString());
            assertTrue(Files.readString(dir.resolve(method[0]).resolve(PeftAdapterFiles.CONFIG_FILE))
                    .contains("\"" + method[2] + "\""), method[0]);
        }
        // the same seed and one more step: the prompts themselves are trained
        CommandRun longer = CommandRun.withModel("train", "--data", data.toString(), "--output",
                dir.resolve("longer").toString(), "--method", "prompt-tuning", "--method-option", "num_virtual_tokens=4",
                "--max-steps", "3", "--batch-size", "4", "--max-length", "32");
        assertEquals(DjlAdapters.OK, longer.code(), longer.toString());
        assertFalse(java.util.Arrays.equals(
                Files.readAllBytes(dir.resolve("prompt-tuning").resolve(PeftAdapterFiles.WEIGHTS_FILE)),
                Files.readAllBytes(dir.resolve("longer").resolve(PeftAdapterFiles.WEIGHTS_FILE))),
                "another training step changes prompt_embeddings");
    }

    @Test
    void trainsABottleneckAdapterFromTheMethodFlagAndEvaluatesIt() throws Exception {
        Path data = TrainedAdapter.writeReviews(dir.resolve("reviews.csv"));
        Path output = dir.resolve("bn");
        CommandRun run = CommandRun.withModel("train", "--data", data.toString(), "--output", output.toString(),
                "--method", "seq_bn", "--method-option", "reduction_factor=8", "--max-steps", "1", "--batch-size", "4",
                "--max-length", "32");
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        assertTrue(run.out().contains("bottleneck"), run.toString());
        String config = Files.readString(output.resolve(PeftAdapterFiles.CONFIG_FILE));
        assertTrue(config.contains("\"reduction_factor\": 8") && config.contains("\"original_ln_before\": true"), config);
        assertTrue(Files.size(output.resolve("adapter.safetensors")) > 0);
        CommandRun eval = CommandRun.withModel("eval", "--adapter", output.toString(), "--data", data.toString(),
                "--max-length", "32");
        assertEquals(DjlAdapters.OK, eval.code(), eval.toString());
        CommandRun unknown = CommandRun.withModel("train", "--data", data.toString(), "--output", output.toString(),
                "--method", "seq_bn", "--method-option", "r=8");
        assertEquals(DjlAdapters.USAGE, unknown.code(), unknown.toString());
        assertTrue(unknown.err().contains("does not read [r]"), unknown.toString());
    }

    @Test
    void missingDataFileFailsWithOneLineAndNoStackTrace() {
        CommandRun run = CommandRun.withModel("train", "--data", dir.resolve("nope.jsonl").toString(), "--output",
                dir.resolve("out").toString());
        assertEquals(DjlAdapters.FAILURE, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: data file not found"), run.toString());
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run);
    }

    @Test
    void verboseAddsTheStackTrace() {
        CommandRun run = CommandRun.withModel("train", "--data", dir.resolve("nope.jsonl").toString(), "--output",
                dir.resolve("out").toString(), "--verbose");
        assertEquals(DjlAdapters.FAILURE, run.code(), run.toString());
        assertTrue(run.err().contains("\tat "), run.toString());
    }

    @Test
    void resumeWithoutCheckpointFails() throws Exception {
        Path data = TrainedAdapter.writeReviews(dir.resolve("reviews.csv"));
        CommandRun run = CommandRun.withModel("train", "--data", data.toString(), "--output",
                dir.resolve("fresh").toString(), "--resume");
        assertEquals(DjlAdapters.FAILURE, run.code(), run.toString());
        assertTrue(run.err().contains("no checkpoint"), run.toString());
    }

    @Test
    void wrongArgumentsAreUsageErrors() {
        String data = CommandRun.TRAIN.toString();
        String out = dir.resolve("out").toString();
        assertEquals(DjlAdapters.USAGE, CommandRun.of("train").code());
        assertEquals(DjlAdapters.USAGE, CommandRun.of("train", "--data", data).code(), "no --output");
        assertEquals(DjlAdapters.USAGE, CommandRun.of("train", "--data", data, "--output", out, "--epochs", "0").code());
        assertEquals(DjlAdapters.USAGE, CommandRun.of("train", "--data", data, "--output", out, "--lr", "fast").code());
        assertEquals(DjlAdapters.USAGE, CommandRun.of("train", "--data", data, "--output", out, "--method", "adalora").code());
        CommandRun unread = CommandRun.of("train", "--data", data, "--output", out, "--method", "ia3", "--rank", "4");
        assertEquals(DjlAdapters.USAGE, unread.code(), unread.toString());
        assertTrue(unread.err().contains("--method ia3 does not read [rank]"), unread.toString());
        CommandRun badRank = CommandRun.of("train", "--data", data, "--output", out, "--rank", "eight");
        assertEquals(DjlAdapters.USAGE, badRank.code(), badRank.toString());
        assertTrue(badRank.err().contains("rank must be a whole number"), badRank.toString());
        CommandRun unknown = CommandRun.of("train", "--data", data, "--output", out, "--bogus");
        assertEquals(DjlAdapters.USAGE, unknown.code(), unknown.toString());
        assertTrue(unknown.err().contains("--bogus"), unknown.toString());
    }
}
