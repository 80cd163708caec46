package io.github.djladapters.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.bert.BertModels;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergeCommandTest {

    @TempDir
    Path dir;

    @Test
    void mergedCheckpointComputesWhatTheAdapterComputes() throws Exception {
        Path adapter = TrainedAdapter.dir();
        Path merged = dir.resolve("merged");
        CommandRun run = CommandRun.withModel("merge", "--adapter", adapter.toString(), "--output", merged.toString());
        assertEquals(DjlAdapters.OK, run.code(), run.toString());
        for (String file : new String[] {"config.json", "model.safetensors", "tokenizer.json", SavedClassifier.HEAD_FILE}) {
            assertTrue(Files.isRegularFile(merged.resolve(file)), file);
        }

        try (NDManager manager = NDManager.newBaseManager();
                PaddedBatchTokenizer tokenizer = PaddedBatchTokenizer.open(merged.resolve("tokenizer.json"), 32)) {
            NDList inputs = tokenizer.encode(List.of("The lamp is lovely.", "It broke at once, sadly."), manager);
            AdapterModel<BertModel> withAdapter = Adapters.init(AllMiniLmL6V2.load(manager, CommandRun.CACHE));
            NDArray base = withAdapter.forward(inputs).head();
            withAdapter.loadAdapter(adapter, "a");
            withAdapter.setActiveAdapters("a");
            NDArray expected = withAdapter.forward(inputs).head();
            assertTrue(expected.sub(base).abs().max().getFloat() > 1e-3f, "the adapter changes the output");
            BertModel checkpoint = BertModels.fromCheckpoint(merged, manager);
            NDArray actual = Adapters.init(checkpoint).forward(inputs).head();
            float difference = expected.sub(actual).abs().max().getFloat();
            assertTrue(difference < 1e-5f, "merged vs adapter: " + difference);
        }
    }

    @Test
    void missingOutputIsAUsageError() {
        CommandRun run = CommandRun.of("merge", "--adapter", dir.toString());
        assertEquals(DjlAdapters.USAGE, run.code(), run.toString());
        assertTrue(run.err().contains("--output"), run.toString());
    }

    @Test
    void adapterThatIsNotThereFails() {
        CommandRun run = CommandRun.withModel("merge", "--adapter", dir.resolve("none").toString(), "--output",
                dir.resolve("merged").toString());
        assertEquals(DjlAdapters.FAILURE, run.code(), run.toString());
        assertTrue(run.err().startsWith("error: " + dir.resolve("none").resolve("adapter_config.json")), run.toString());
    }
}
