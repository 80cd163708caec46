package io.github.djladapters.serving.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.finetune.ClassifierHead;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.models.heads.SentencePooling;
import io.github.djladapters.serving.model.Embeddings.LabelScore;
import io.github.djladapters.serving.registry.AdapterForward;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The labels of rows whose adapter is a saved classifier: an adapter folder that also holds
 * {@value SavedClassifier#HEAD_FILE} (what the main job and {@link SavedClassifier#save} write) is a
 * text classifier. The head is read by the registry with the adapter's weights, as part of the same
 * version ({@link AdapterForward#classifierHead}), so a batch never pairs new weights with an old head.
 */
final class ClassifierHeads {

    // the pooled vector the head was trained on: mean over real tokens, not normalized (TextClassifier's)
    private final SentencePooling pooling = new SentencePooling(SentencePooling.Mode.MEAN, false);

    /**
     * The labels and scores of each row whose adapter is a saved classifier, best first; an empty
     * list for the other rows.
     *
     * @param forward the batch's view of the model, with each row's adapter version
     * @param rows the batch size
     * @param hidden the encoder's last hidden states {@code [B, T, H]}
     * @param mask the attention mask {@code [B, T]}
     * @param batch owns this batch's arrays
     * @return one list per row
     */
    List<List<LabelScore>> classify(AdapterForward forward, int rows, NDArray hidden, NDArray mask, NDManager batch) {
        Map<ClassifierHead, List<Integer>> rowsByHead = new IdentityHashMap<>();
        for (int row = 0; row < rows; row++) {
            ClassifierHead head = forward.classifierHead(row);
            if (head != null) {
                rowsByHead.computeIfAbsent(head, h -> new ArrayList<>()).add(row);
            }
        }
        List<List<LabelScore>> out = new ArrayList<>(Collections.nCopies(rows, List.of()));
        if (rowsByHead.isEmpty()) {
            return out;
        }
        ParameterStore store = new ParameterStore(batch, false);
        NDArray pooled = pooling.forward(store, new NDList(hidden, mask), false).head();
        for (Map.Entry<ClassifierHead, List<Integer>> group : rowsByHead.entrySet()) {
            ClassifierHead head = group.getKey();
            long[] headRows = group.getValue().stream().mapToLong(Integer::longValue).toArray();
            NDArray logits = head.forward(store, pooled.get(batch.create(headRows)), false);
            float[] probabilities = logits.softmax(1).toFloatArray();
            int labels = head.labels().size();
            for (int i = 0; i < headRows.length; i++) {
                List<LabelScore> scores = new ArrayList<>();
                for (int k = 0; k < labels; k++) {
                    scores.add(new LabelScore(head.labels().get(k), probabilities[i * labels + k]));
                }
                scores.sort(Comparator.comparingDouble(LabelScore::score).reversed());
                out.set((int) headRows[i], scores);
            }
        }
        return out;
    }
}
