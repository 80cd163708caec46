package io.github.djladapters.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.heads.SentencePooling;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.TrainableParameters;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * A text classifier: a BERT-family encoder carrying adapters, mean pooling over the non-padding
 * tokens, and a {@link ClassifierHead}. Training updates the active adapter and the head; the
 * encoder's own weights stay frozen.
 *
 * <pre>{@code
 * TextClassifier classifier = new TextClassifier(Adapters.init(encoder), tokenizer, head);
 * classifier.adapters().addAdapter("reviews", LoRAConfig.builder().r(8).targetModules("query", "value").build());
 * classifier.trainAdapter("reviews");
 * double accuracy = classifier.accuracy(testSet, 32);
 * }</pre>
 */
public final class TextClassifier {

    private final AdapterModel<BertModel> adapters;
    private final PaddedBatchTokenizer tokenizer;
    private final ClassifierHead head;
    private final SentencePooling pooling = new SentencePooling(SentencePooling.Mode.MEAN, false);

    /**
     * Puts a head on an encoder.
     *
     * @param adapters the encoder with its adapters
     * @param tokenizer the encoder's tokenizer
     * @param head the classification head
     */
    public TextClassifier(AdapterModel<BertModel> adapters, PaddedBatchTokenizer tokenizer, ClassifierHead head) {
        this.adapters = adapters;
        this.tokenizer = tokenizer;
        this.head = head;
    }

    /**
     * The encoder with its adapters.
     *
     * @return the adapter model
     */
    public AdapterModel<BertModel> adapters() {
        return adapters;
    }

    /**
     * The classification head.
     *
     * @return the head
     */
    public ClassifierHead head() {
        return head;
    }

    /**
     * Freezes the encoder, activates and unfreezes adapter {@code name}; the head stays trainable
     * (what PEFT's {@code modules_to_save=["classifier"]} does).
     *
     * @param name an adapter added to {@link #adapters()}
     */
    public void trainAdapter(String name) {
        adapters.trainAdapter(name);
        head.parameters().forEach(p -> p.getArray().setRequiresGradient(true));
    }

    /**
     * The parameters an optimizer updates: the encoder's unfrozen ones (the adapter, including weights
     * on hook points outside the block tree, such as prompt tuning's) and the head.
     *
     * @return the trainable parameters
     */
    public List<Parameter> trainableParameters() {
        Set<Parameter> trainable = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Parameter> ordered = new ArrayList<>();
        for (Parameter parameter : adapters.model().getParameters().values()) {
            if (parameter.requiresGradient() && trainable.add(parameter)) {
                ordered.add(parameter);
            }
        }
        for (AdapterAttachment attachment : adapters.attachments()) {
            for (String name : attachment.adapterNames()) {
                for (Parameter parameter : attachment.parameters(name)) {
                    if (parameter.requiresGradient() && trainable.add(parameter)) {
                        ordered.add(parameter);
                    }
                }
            }
        }
        ordered.addAll(head.parameters());
        return ordered;
    }

    /**
     * PEFT's trainable-parameter counts for the whole classifier, head included.
     *
     * @return the counts; {@code toString()} gives PEFT's line
     */
    public TrainableParameters trainableParameterCounts() {
        TrainableParameters encoder = adapters.trainableParameters();
        long headCount = head.parameterCount();
        return TrainableParameters.of(encoder.trainable() + headCount, encoder.all() + headCount);
    }

    /**
     * Logits for a batch, as part of a training or inference pass.
     *
     * @param store the parameter store of this pass
     * @param texts the texts
     * @param scope owns the inputs and outputs
     * @param training whether dropout is on and gradients are recorded
     * @return logits {@code [B, labels]}
     */
    public NDArray logits(ParameterStore store, List<String> texts, NDManager scope, boolean training) {
        return logits(store, tokenize(texts, scope), training);
    }

    /**
     * Tokenizes a batch into the encoder's inputs, every row padded to the batch's longest; the rows of a
     * batch tokenized once keep that padding when they are cut into row groups, as dropout masks drawn for
     * rows of the whole batch need.
     *
     * @param texts the texts
     * @param scope owns the arrays
     * @return {@code input_ids}, {@code attention_mask}, {@code token_type_ids}, each {@code [B, tokens]}
     */
    public NDList tokenize(List<String> texts, NDManager scope) {
        return tokenizer.encode(texts, scope);
    }

    /**
     * Logits for a tokenized batch (or some of its rows), as part of a training or inference pass.
     *
     * @param store the parameter store of this pass
     * @param inputs {@code input_ids}, {@code attention_mask}, {@code token_type_ids} from {@link #tokenize}
     * @param training whether dropout is on and gradients are recorded
     * @return logits {@code [B, labels]}, owned by the inputs' manager
     */
    public NDArray logits(ParameterStore store, NDList inputs, boolean training) {
        NDArray hidden = adapters.model().forward(store, inputs, training).head();
        NDArray pooled = pooling.forward(store, new NDList(hidden, inputs.get(1)), false).head();
        return head.forward(store, pooled, training);
    }

    /**
     * Inference logits for any number of texts, computed in batches.
     *
     * @param texts the texts
     * @param batchSize texts per forward pass
     * @return one row of logits per text
     */
    public float[][] logits(List<String> texts, int batchSize) {
        int labels = head.labels().size();
        float[][] logits = new float[texts.size()][];
        try (NDManager scope = NDManager.newBaseManager()) {
            for (int from = 0; from < texts.size(); from += batchSize) {
                int to = Math.min(texts.size(), from + batchSize);
                try (NDManager batch = scope.newSubManager()) {
                    float[] flat = logits(new ParameterStore(batch, false), texts.subList(from, to), batch, false)
                            .toFloatArray();
                    for (int i = from; i < to; i++) {
                        logits[i] = new float[labels];
                        System.arraycopy(flat, (i - from) * labels, logits[i], 0, labels);
                    }
                }
            }
        }
        return logits;
    }

    /**
     * The predicted label of each text.
     *
     * @param texts the texts
     * @param batchSize texts per forward pass
     * @return one label per text
     */
    public List<String> predict(List<String> texts, int batchSize) {
        List<String> predictions = new ArrayList<>();
        for (float[] row : logits(texts, batchSize)) {
            int best = 0;
            for (int i = 1; i < row.length; i++) {
                best = row[i] > row[best] ? i : best;
            }
            predictions.add(head.labels().get(best));
        }
        return predictions;
    }

    /**
     * The share of examples whose predicted label is their label.
     *
     * @param examples labelled texts
     * @param batchSize texts per forward pass
     * @return accuracy in [0, 1]
     */
    public double accuracy(List<LabelledText> examples, int batchSize) {
        List<String> predictions = predict(examples.stream().map(LabelledText::text).toList(), batchSize);
        int correct = 0;
        for (int i = 0; i < examples.size(); i++) {
            correct += predictions.get(i).equals(examples.get(i).label()) ? 1 : 0;
        }
        return examples.isEmpty() ? 0 : (double) correct / examples.size();
    }
}
