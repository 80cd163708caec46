package io.github.djladapters.models.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** What the MiniLM benchmarks feed and train: the model, seeded token batches and the trainable parameters. */
final class BenchInputs {

    private BenchInputs() {}

    /**
     * [CLS], seeded random word-piece ids of BERT's vocabulary, [SEP], as the Python side builds them.
     *
     * @param batch rows
     * @param tokens tokens per row
     * @param random the source of the ids
     * @return {@code [batch][tokens]} ids
     */
    static long[][] tokenIds(int batch, int tokens, Random random) {
        long[][] ids = new long[batch][tokens];
        for (long[] row : ids) {
            for (int t = 0; t < tokens; t++) {
                row[t] = t == 0 ? 101 : t == tokens - 1 ? 102 : 1000 + random.nextInt(30522 - 1000);
            }
        }
        return ids;
    }

    /**
     * The parameters of {@code model} that require a gradient, in the model's order.
     *
     * @param model the model
     * @return its trainable parameters
     */
    static List<Parameter> trainable(Block model) {
        return model.getParameters().values().stream().filter(Parameter::requiresGradient).toList();
    }

    /**
     * all-MiniLM-L6-v2 set up for training steps: with a LoRA in training (r 8, alpha 16, on query and
     * value) or with every parameter trainable.
     *
     * @param manager the model's manager
     * @param lora true for the LoRA, false for full fine-tuning
     * @return the model whose forward the steps run
     * @throws IOException when the model cannot be read
     */
    static BertModel trainingModel(NDManager manager, boolean lora) throws IOException {
        return forTraining(AllMiniLmL6V2.load(manager, Path.of(System.getProperty("java.io.tmpdir"),
                "djl-adapters-minilm")), lora);
    }

    /**
     * A loaded model made ready for the peer case's training step: LoRA r=8 on query and value in training,
     * or every parameter trainable.
     *
     * @param base the loaded model
     * @param lora true for the LoRA, false for full fine-tuning
     * @return the model whose forward the steps run
     */
    static BertModel forTraining(BertModel base, boolean lora) {
        if (!lora) {
            base.freezeParameters(false);
            return base;
        }
        AdapterModel<BertModel> adapters = Adapters.init(base);
        adapters.addAdapter("lora", LoRAConfig.builder().r(8).loraAlpha(16).targetModules("query", "value").build());
        adapters.trainAdapter("lora");
        return adapters.model();
    }

    /**
     * A BERT forward's inputs for {@code ids}: the ids, an attention mask of ones, token types of zeros.
     *
     * @param scope the manager of the arrays
     * @param ids {@code [batch][tokens]} ids
     * @return the three inputs
     */
    static NDList bertInputs(NDManager scope, long[][] ids) {
        NDArray input = scope.create(ids);
        return new NDList(input, scope.ones(input.getShape(), input.getDataType()),
                scope.zeros(input.getShape(), input.getDataType()));
    }

    /**
     * One training step on {@link #bertInputs}: forward in training mode, backward of the mean square
     * of the output, then the optimizer's step, in a sub-manager closed after.
     *
     * @param manager the parent of the step's manager
     * @param model the model
     * @param optimizer the optimizer of the trainable parameters
     * @param ids {@code [batch][tokens]} ids
     */
    static void trainingStep(NDManager manager, Block model, FusedAdam optimizer, long[][] ids) {
        try (NDManager scope = manager.newSubManager()) {
            NDList inputs = bertInputs(scope, ids);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(new ParameterStore(scope, false), inputs, true).head();
                collector.backward(out.square().mean());
            }
            optimizer.step();
        }
    }
}
