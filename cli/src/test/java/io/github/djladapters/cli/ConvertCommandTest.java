package io.github.djladapters.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.checkpoint.ParameterNames;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {

    @TempDir
    Path dir;

    @Test
    void convertsTheOnnxExportToACheckpointWithTheSameWeights() throws Exception {
        Path onnx = AllMiniLmL6V2.onnxFile(CommandRun.CACHE);
        Path output = dir.resolve("minilm");
        CommandRun run = CommandRun.of("convert", "--onnx", onnx.toString(), "--output", output.toString());
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        assertTrue(run.out().contains("22,565,376 parameters"), run.toString());
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel converted = BertModels.fromCheckpoint(output, manager);
            BertModel original = BertModels.fromOnnx(onnx, BertConfig.allMiniLmL6V2(), manager);
            String key = "encoder.layer.3.attention.self.query.weight";
            float difference = ParameterNames.of(converted).get(key).getArray()
                    .sub(ParameterNames.of(original).get(key).getArray())
                    .abs().max().getFloat();
            assertEquals(0f, difference, key);
        }
        assertTrue(Files.size(output.resolve("model.safetensors")) > 80_000_000L);
    }

    @Test
    void missingOnnxFileFails() {
        CommandRun run = CommandRun.of("convert", "--onnx", dir.resolve("none.onnx").toString(), "--output",
                dir.resolve("out").toString());
        assertEquals(DjlAdapters.FAILURE, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: ONNX file not found"), run.toString());
    }

    @Test
    void missingArgumentsAreUsageErrors() {
        assertEquals(DjlAdapters.USAGE, CommandRun.of("convert").code());
        assertEquals(DjlAdapters.USAGE, CommandRun.of("convert", "--onnx", "x.onnx").code());
    }
}
