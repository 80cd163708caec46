package io.github.djladapters.models.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.llama.LlamaConfig;
import io.github.djladapters.models.t5.T5Config;
import io.github.djladapters.runtime.fuzz.FuzzedFiles;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the model-side JSON readers: {@code config.json} of BERT, GPT-2, Llama
 * and T5, and {@code model.safetensors.index.json}. A config either parses into values inside the
 * documented ranges or fails with an {@code IOException} naming the file.
 */
class ModelConfigFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void configReadersReturnOrExplain(FuzzedDataProvider data) {
        int reader = data.consumeInt(0, 4);
        byte[] json = data.consumeRemainingAsBytes();
        FuzzedFiles.expectOnly(() -> {
            switch (reader) {
                case 0 -> BertConfig.read(FuzzedFiles.write("config.json", json));
                case 1 -> GPT2Config.read(FuzzedFiles.write("config.json", json));
                case 2 -> LlamaConfig.read(FuzzedFiles.write("config.json", json));
                case 3 -> T5Config.read(FuzzedFiles.write("config.json", json));
                default -> {
                    Path index = FuzzedFiles.write(CheckpointDirectory.SHARD_INDEX, json);
                    try (TensorSource source = CheckpointDirectory.open(index.getParent())) {
                        source.tensors();
                    }
                }
            }
        }, Set.of(IOException.class));
    }
}
