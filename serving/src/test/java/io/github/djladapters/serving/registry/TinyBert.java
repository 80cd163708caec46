package io.github.djladapters.serving.registry;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** A tiny random BERT (BERT's vocabulary, so real tokenizers fit) and LoRA adapter folders for it. */
public final class TinyBert {

    private TinyBert() {}

    /**
     * A tiny BERT config.
     *
     * @param hidden the hidden size
     * @return 2 layers, 4 heads, vocabulary 30522
     */
    public static BertConfig config(int hidden) {
        return new BertConfig("bert", 30522, hidden, 2, 4, 2 * hidden, "gelu", 0f, 0f, 64, 2, 1e-12, 0, 2);
    }

    /**
     * A randomly initialised tiny BERT with its adapter API.
     *
     * @param manager owns the parameters
     * @return the model
     */
    public static AdapterModel<BertModel> model(NDManager manager) {
        return model(manager, 16);
    }

    /**
     * A randomly initialised tiny BERT of a given width.
     *
     * @param manager owns the parameters
     * @param hidden the hidden size
     * @return the model
     */
    public static AdapterModel<BertModel> model(NDManager manager, int hidden) {
        BertModel bert = new BertModel(config(hidden));
        bert.initialize(manager);
        return Adapters.init(bert);
    }

    /**
     * Writes a LoRA adapter folder with random, non-zero A and B (so it changes the output).
     *
     * @param dir the folder
     * @param seed the random seed
     * @param hidden the hidden size of the model it is for
     * @throws IOException when writing fails
     */
    public static void writeLora(Path dir, long seed, int hidden) throws IOException {
        writeLora(dir, seed, hidden, LoRAConfig.builder().r(2).loraAlpha(4).targetModules("query", "value").build());
    }

    /**
     * Writes an adapter folder for a config with random weights.
     *
     * @param dir the folder
     * @param seed the random seed
     * @param hidden the hidden size of the model it is for
     * @param config the adapter config
     * @throws IOException when writing fails
     */
    public static void writeLora(Path dir, long seed, int hidden, LoRAConfig config) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<BertModel> scratch = model(manager, hidden);
            scratch.addAdapter("x", config);
            RandomAdapterWeights.fill(scratch, "x", manager, new Random(seed), 0.5f);
            scratch.saveAdapterFolder("x", dir);
        }
    }

    /**
     * A batch of random token ids with a full attention mask.
     *
     * @param manager owns the arrays
     * @param rows the batch size
     * @param seed the random seed
     * @return input ids and attention mask, {@code [rows, 6]}
     */
    public static NDList inputs(NDManager manager, int rows, long seed) {
        Random random = new Random(seed);
        long[] ids = new long[rows * 6];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1000 + random.nextInt(2000);
        }
        NDArray idArray = manager.create(ids, new ai.djl.ndarray.types.Shape(rows, 6));
        return new NDList(idArray, manager.ones(idArray.getShape(), DataType.INT64));
    }

    /**
     * One row of a batch as a batch of its own.
     *
     * @param inputs a batch
     * @param row the row
     * @return the row's inputs, {@code [1, T]}
     */
    public static NDList row(NDList inputs, int row) {
        NDList one = new NDList();
        for (NDArray array : inputs) {
            one.add(array.get(row + ":" + (row + 1)));
        }
        return one;
    }

    /**
     * The values of an array.
     *
     * @param array an array
     * @return its floats
     */
    public static float[] values(NDArray array) {
        return array.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /**
     * The largest absolute difference.
     *
     * @param a values
     * @param b values of the same length
     * @return max |a - b|
     */
    public static double maxDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /**
     * Names for a batch.
     *
     * @param names row adapter names
     * @return the list
     */
    public static List<String> rows(String... names) {
        return List.of(names);
    }
}
