package io.github.djladapters.serving.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.finetune.ClassifierHead;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.models.heads.SentencePooling;
import io.github.djladapters.serving.model.Embeddings.LabelScore;
import io.github.djladapters.serving.registry.AdapterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The classification heads of saved classifiers: an adapter folder that also holds
 * {@value SavedClassifier#HEAD_FILE} (what the main job and {@link SavedClassifier#save} write) is a
 * text classifier, and its rows are answered with labels and scores. A head is read on first use and
 * read again when its file changes. Used only from the embedding batcher's worker thread.
 */
final class ClassifierHeads implements AutoCloseable {

    private record Loaded(ClassifierHead head, NDManager manager, long modified, long size) {}

    private final AdapterRegistry registry;
    private final NDManager manager = NDManager.newBaseManager();
    private final Map<Path, Loaded> heads = new HashMap<>();
    // the pooled vector the head was trained on: mean over real tokens, not normalized (TextClassifier's)
    private final SentencePooling pooling = new SentencePooling(SentencePooling.Mode.MEAN, false);

    ClassifierHeads(AdapterRegistry registry) {
        this.registry = registry;
    }

    /**
     * The labels and scores of each row whose adapter is a saved classifier, best first; an empty
     * list for the other rows.
     *
     * @param adapters each row's adapter
     * @param hidden the encoder's last hidden states {@code [B, T, H]}
     * @param mask the attention mask {@code [B, T]}
     * @param batch owns this batch's arrays
     * @return one list per row
     */
    List<List<LabelScore>> classify(List<String> adapters, NDArray hidden, NDArray mask, NDManager batch) {
        Map<String, List<Integer>> rowsByHead = new LinkedHashMap<>();
        Map<String, ClassifierHead> byAdapter = new HashMap<>();
        for (int row = 0; row < adapters.size(); row++) {
            String adapter = adapters.get(row);
            ClassifierHead head = byAdapter.computeIfAbsent(adapter, this::headOf);
            if (head != null) {
                rowsByHead.computeIfAbsent(adapter, a -> new ArrayList<>()).add(row);
            }
        }
        List<List<LabelScore>> out = new ArrayList<>(Collections.nCopies(adapters.size(), List.of()));
        if (rowsByHead.isEmpty()) {
            return out;
        }
        ParameterStore store = new ParameterStore(batch, false);
        NDArray pooled = pooling.forward(store, new NDList(hidden, mask), false).head();
        for (Map.Entry<String, List<Integer>> group : rowsByHead.entrySet()) {
            ClassifierHead head = byAdapter.get(group.getKey());
            long[] rows = group.getValue().stream().mapToLong(Integer::longValue).toArray();
            NDArray logits = head.forward(store, pooled.get(batch.create(rows)), false);
            float[] probabilities = logits.softmax(1).toFloatArray();
            int labels = head.labels().size();
            for (int i = 0; i < rows.length; i++) {
                List<LabelScore> scores = new ArrayList<>();
                for (int k = 0; k < labels; k++) {
                    scores.add(new LabelScore(head.labels().get(k), probabilities[i * labels + k]));
                }
                scores.sort(Comparator.comparingDouble(LabelScore::score).reversed());
                out.set((int) rows[i], scores);
            }
        }
        return out;
    }

    /** The head of an adapter's folder, or null for the base model and adapters without one. */
    private ClassifierHead headOf(String adapter) {
        if (adapter.isEmpty()) {
            return null;
        }
        Path file = Path.of(registry.describe(adapter).src()).resolve(SavedClassifier.HEAD_FILE);
        Loaded loaded = heads.get(file);
        try {
            if (!Files.isRegularFile(file)) {
                return null;
            }
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            long modified = attributes.lastModifiedTime().toMillis();
            if (loaded != null && loaded.modified() == modified && loaded.size() == attributes.size()) {
                return loaded.head();
            }
            NDManager headManager = manager.newSubManager();
            try {
                ClassifierHead head = ClassifierHead.load(file, headManager);
                head.parameters().forEach(parameter -> parameter.freeze(true));
                heads.put(file, new Loaded(head, headManager, modified, attributes.size()));
            } catch (IOException | RuntimeException e) {
                headManager.close();
                throw e;
            }
            if (loaded != null) {
                loaded.manager().close(); // the batches that used it ran on this thread and are done
            }
            return heads.get(file).head();
        } catch (IOException e) {
            throw new UncheckedIOException("adapter " + adapter + ": cannot read its classifier head " + file, e);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
