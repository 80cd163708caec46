package io.github.djladapters.models.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.InputExtension;
import java.util.Optional;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * A BERT-family model with a task head, laid out as Hugging Face's {@code *For*} classes so their
 * checkpoints load key for key: the base model under {@code bert} or {@code roberta}, the head under
 * {@code classifier} or {@code qa_outputs}.
 *
 * <ul>
 *   <li>{@link Task#SEQUENCE_CLASSIFICATION}: BERT uses {@code bert.pooler} then the
 *       {@code classifier} linear layer; RoBERTa uses {@link RobertaClassificationHead}. Output:
 *       logits {@code [B, labels]}.
 *   <li>{@link Task#TOKEN_CLASSIFICATION}: {@code classifier} on every token. Output
 *       {@code [B, T, labels]}.
 *   <li>{@link Task#QUESTION_ANSWERING}: {@code qa_outputs} to two logits per token. Outputs:
 *       start logits {@code [B, T]} and end logits {@code [B, T]}.
 * </ul>
 *
 * <p>Inputs are those of {@link BertModel}. Adapters attach to {@link #base()}, or to the whole
 * model through {@link #adapterInterface()} when the head is trained with them
 * ({@code modules_to_save}).
 */
public final class BertTaskModel extends AbstractBlock implements InputExtendingModel {

    /** The tasks Hugging Face's task classes cover. */
    public enum Task {
        /** One label per text. */
        SEQUENCE_CLASSIFICATION,
        /** One label per token. */
        TOKEN_CLASSIFICATION,
        /** Extractive question answering: answer start and end per token. */
        QUESTION_ANSWERING
    }

    private final BertConfig config;
    private final Task task;
    private final BertModel base;
    private final boolean robertaHead;
    private Block head; // not final: modules_to_save puts its wrapper here (through the child list and this field)

    /**
     * A model for one task; the label count is {@code config.numLabels()}.
     *
     * @param config the architecture
     * @param task the task
     */
    public BertTaskModel(BertConfig config, Task task) {
        this.config = config;
        this.task = task;
        boolean pooler = task == Task.SEQUENCE_CLASSIFICATION && !config.isRoberta();
        robertaHead = task == Task.SEQUENCE_CLASSIFICATION && config.isRoberta();
        base = addChildBlock(config.baseModelPrefix(), new BertModel(config, pooler));
        if (task == Task.QUESTION_ANSWERING) {
            head = addChildBlock("qa_outputs", new FlatLinear(2, true));
        } else if (robertaHead) {
            head = addChildBlock("classifier", new RobertaClassificationHead(
                    config.hiddenSize(), config.numLabels(), config.hiddenDropoutProb()));
        } else {
            head = addChildBlock("classifier", new FlatLinear(config.numLabels(), true));
        }
    }

    /**
     * The encoder, for adapters ({@code Adapters.init(model.base())}).
     *
     * @return the base model
     */
    public BertModel base() {
        return base;
    }

    /**
     * Where the parts of this model are, for adapters on the whole model with its head
     * ({@code Adapters.init(model, model.adapterInterface())}), so that the head can be in
     * {@code modules_to_save}: the encoder's parts under {@code bert.} or {@code roberta.}, as the
     * encoder itself declares them.
     *
     * <pre>{@code
     * AdapterModel<BertTaskModel> peft = Adapters.init(model, model.adapterInterface());
     * peft.addAdapter("sst2", LoRAConfig.builder().targetModules("query", "value")
     *         .modulesToSave("classifier").build());
     * }</pre>
     *
     * @return the interface
     */
    public AdapterModelInterface adapterInterface() {
        String prefix = config.baseModelPrefix() + ".";
        return AdapterModelInterface.builder()
                .adapterMethods(AdapterMethod.LORA, AdapterMethod.PROMPT_TUNING, AdapterMethod.PREFIX_TUNING)
                .modelEmbeddings(prefix + "embeddings.word_embeddings")
                .modelLayers(prefix + "encoder.layer")
                .layerSelfAttn("attention")
                .attnQProj("self.query").attnKProj("self.key").attnVProj("self.value").attnOProj("output.dense")
                .layerIntermediateProj("intermediate.dense").layerOutputProj("output.dense")
                .build();
    }

    /**
     * The task this model solves.
     *
     * @return the task
     */
    @Override
    public void setInputExtension(InputExtension extension) {
        base.setInputExtension(extension);
    }

    @Override
    public Optional<InputExtension> inputExtension() {
        return base.inputExtension();
    }

    public Task task() {
        return task;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList encoded = base.forward(ps, inputs, training, params);
        NDArray features = task == Task.SEQUENCE_CLASSIFICATION && !config.isRoberta()
                ? encoded.get(1) // pooler output
                : encoded.get(0);
        if (training && config.hiddenDropoutProb() > 0 && !robertaHead) {
            features = Dropout.dropout(features, config.hiddenDropoutProb(), true).head();
        }
        NDArray logits = head.forward(ps, new NDList(features), training, params).head();
        if (task != Task.QUESTION_ANSWERING) {
            return new NDList(logits);
        }
        NDList split = logits.split(2, 2);
        return new NDList(split.get(0).squeeze(2), split.get(1).squeeze(2));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return switch (task) {
            case SEQUENCE_CLASSIFICATION -> new Shape[] {new Shape(ids.get(0), config.numLabels())};
            case TOKEN_CLASSIFICATION -> new Shape[] {ids.add(config.numLabels())};
            case QUESTION_ANSWERING -> new Shape[] {ids, ids};
        };
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        base.initialize(manager, dataType, new Shape(1, 1));
        Shape hidden = robertaHead
                ? new Shape(1, 1, config.hiddenSize())
                : new Shape(1, config.hiddenSize());
        head.initialize(manager, dataType, hidden);
    }
}
