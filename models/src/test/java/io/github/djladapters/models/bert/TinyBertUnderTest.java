package io.github.djladapters.models.bert;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.safetensors.TensorDType;
import java.nio.file.Path;
import java.util.Map;

/**
 * A tiny BERT ({@link TinyCheckpoints#tinyBert()}, random weights of seed 17) written once as a
 * checkpoint, and a right-padded batch of five rows, for adapter tests on an encoder. Closing it frees
 * every model it loaded.
 */
final class TinyBertUnderTest implements AutoCloseable {

    static final BertConfig CONFIG = TinyCheckpoints.tinyBert();

    private final Path dir;
    private final NDManager manager = NDManager.newBaseManager();
    private final long[][][] batch = TinyCheckpoints.paddedBatch(CONFIG, 5);

    TinyBertUnderTest(Path dir) {
        this.dir = dir;
    }

    NDManager manager() {
        return manager;
    }

    /** A fresh model loaded from the checkpoint (written on first use), with no adapter yet. */
    AdapterModel<BertModel> model() throws Exception {
        Path checkpoint = dir.resolve("bert");
        if (!checkpoint.toFile().exists()) {
            Map<String, Shape> shapes = TinyCheckpoints.shapes(CONFIG);
            TinyCheckpoints.write(checkpoint, CONFIG, shapes, TinyCheckpoints.randomWeights(shapes, 17),
                    TensorDType.F32, 1, "");
        }
        return Adapters.init(BertModels.fromCheckpoint(checkpoint, manager));
    }

    /** The batch's ids, mask and token types, created in {@code scope}. */
    NDList inputs(NDManager scope) {
        return new NDList(scope.create(batch[0]), scope.create(batch[1]), scope.create(batch[2]));
    }

    /** The model's output for the batch. */
    float[] run(AdapterModel<BertModel> peft) {
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(inputs(scope)).head().toFloatArray();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
