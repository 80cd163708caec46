package io.github.djladapters.serving.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.heads.SentencePooling;
import io.github.djladapters.models.text.PaddedBatchTokenizer;
import io.github.djladapters.models.text.TokenBatch;
import io.github.djladapters.serving.batching.BatchJob;
import io.github.djladapters.serving.batching.RequestBatcher;
import io.github.djladapters.serving.metrics.ServingMetrics;
import io.github.djladapters.serving.registry.AdapterRegistry;
import io.github.djladapters.serving.registry.ServingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

/**
 * Sentence embeddings (mean pooling, unit length, as sentence-transformers' all-MiniLM-L6-v2) from a
 * BERT-family encoder with adapters, and text classification for adapters saved with a classifier
 * head ({@link ClassifierHeads}). Concurrent requests are gathered into one forward in which each
 * row runs through its own adapter; in merged mode (or with {@link BatchSettings#perAdapter()}),
 * batches hold one adapter each.
 */
public final class EmbeddingService implements AutoCloseable {

    private final AdapterRegistry registry;
    private final PaddedBatchTokenizer tokenizer;
    private final SentencePooling pooling = new SentencePooling(SentencePooling.Mode.MEAN, true);
    private final RequestBatcher<Job> batcher;
    private final boolean perAdapter;
    private final NDManager manager = NDManager.newBaseManager();
    private final ClassifierHeads heads = new ClassifierHeads();
    private volatile IntConsumer batchObserver = rows -> { };

    /** One request's rows (all of one adapter in merged mode), tokenised on the request's thread. */
    private record Job(TokenBatch tokens, List<String> adapters, String batchKey,
            CompletableFuture<Embeddings> result) implements BatchJob {
        @Override
        public int rows() {
            return tokens.size();
        }

        @Override
        public void fail(Throwable error) {
            result.completeExceptionally(error);
        }
    }

    /**
     * A service over a model.
     *
     * @param registry the model's adapters
     * @param tokenizer its tokenizer
     * @param settings batch size and wait
     */
    public EmbeddingService(AdapterRegistry registry, PaddedBatchTokenizer tokenizer, BatchSettings settings) {
        this.registry = registry;
        this.tokenizer = tokenizer;
        this.perAdapter = settings.perAdapter() || registry.options().mode() == ServingMode.MERGED;
        this.batcher = new RequestBatcher<>("embedding-batcher", settings.maxBatchSize(), settings.maxWaitMillis(), this::runBatch);
    }

    /**
     * Reports each batch's row count to the metrics.
     *
     * @param metrics the metrics
     */
    public void observe(ServingMetrics metrics) {
        this.batchObserver = metrics::batch;
    }

    /**
     * Embeds texts, each with its adapter.
     *
     * @param texts the texts
     * @param adapters one registered adapter per text, {@code ""} for the base model
     * @return the embeddings, once the batch holding them has run; it fails with the registry's
     *     exception for an adapter that is not registered or cannot be loaded
     */
    public CompletableFuture<Embeddings> embed(List<String> texts, List<String> adapters) {
        if (texts.size() != adapters.size()) {
            throw new IllegalArgumentException("got " + adapters.size() + " adapters for " + texts.size() + " texts");
        }
        if (!perAdapter) {
            return submit(texts, adapters, null);
        }
        Map<String, List<Integer>> rowsByAdapter = new LinkedHashMap<>();
        for (int i = 0; i < adapters.size(); i++) {
            rowsByAdapter.computeIfAbsent(adapters.get(i), a -> new ArrayList<>()).add(i);
        }
        List<CompletableFuture<Embeddings>> parts = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> group : rowsByAdapter.entrySet()) {
            List<String> groupTexts = group.getValue().stream().map(texts::get).toList();
            parts.add(submit(groupTexts, java.util.Collections.nCopies(groupTexts.size(), group.getKey()), group.getKey()));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            float[][] vectors = new float[texts.size()][];
            int[] tokens = new int[texts.size()];
            List<List<Embeddings.LabelScore>> classes = new ArrayList<>(java.util.Collections.nCopies(texts.size(), List.of()));
            int part = 0;
            for (List<Integer> rows : rowsByAdapter.values()) {
                Embeddings e = parts.get(part++).join();
                for (int i = 0; i < rows.size(); i++) {
                    vectors[rows.get(i)] = e.vectors()[i];
                    tokens[rows.get(i)] = e.tokens()[i];
                    classes.set(rows.get(i), e.classes().get(i));
                }
            }
            return new Embeddings(vectors, tokens, classes);
        });
    }

    /**
     * Requests waiting for a batch.
     *
     * @return the queue depth
     */
    public int queueDepth() {
        return batcher.queueDepth();
    }

    private CompletableFuture<Embeddings> submit(List<String> texts, List<String> adapters, String key) {
        CompletableFuture<Embeddings> result = new CompletableFuture<>();
        // tokenised here, on the request's thread: the batcher's one thread only pads the rows together
        batcher.submit(new Job(tokenizer.tokenize(texts), List.copyOf(adapters), key, result));
        return result;
    }

    private void runBatch(List<Job> jobs) {
        List<TokenBatch> parts = new ArrayList<>(jobs.size());
        List<String> adapters = new ArrayList<>();
        for (Job job : jobs) {
            parts.add(job.tokens());
            adapters.addAll(job.adapters());
        }
        Embeddings all;
        try {
            all = compute(tokenizer.concat(parts), adapters);
        } catch (RuntimeException e) {
            if (jobs.size() == 1) {
                jobs.get(0).fail(e);
            } else {
                jobs.forEach(job -> runBatch(List.of(job))); // only the jobs at fault fail
            }
            return;
        }
        batchObserver.accept(adapters.size());
        int row = 0;
        for (Job job : jobs) {
            int n = job.rows();
            float[][] vectors = java.util.Arrays.copyOfRange(all.vectors(), row, row + n);
            int[] tokens = java.util.Arrays.copyOfRange(all.tokens(), row, row + n);
            job.result().complete(new Embeddings(vectors, tokens, List.copyOf(all.classes().subList(row, row + n))));
            row += n;
        }
    }

    /** One forward over all texts, each through its adapter; rows of saved classifiers also get their labels. */
    Embeddings compute(List<String> texts, List<String> adapters) {
        return compute(tokenizer.tokenize(texts), adapters);
    }

    /** One forward over all rows, each through its adapter; rows of saved classifiers also get their labels. */
    private Embeddings compute(TokenBatch tokens, List<String> adapters) {
        return registry.run(adapters, forward -> {
            try (NDManager batch = manager.newSubManager()) {
                NDList inputs = tokens.toNDList(batch);
                NDArray hidden = forward.forward(inputs).head();
                NDArray mask = inputs.get(1);
                NDArray pooled = pooling.forward(new ParameterStore(batch, false), new NDList(hidden, mask), false).head();
                long[] shape = pooled.getShape().getShape();
                float[] flat = pooled.toFloatArray();
                float[][] vectors = new float[(int) shape[0]][];
                for (int i = 0; i < vectors.length; i++) {
                    vectors[i] = java.util.Arrays.copyOfRange(flat, i * (int) shape[1], (i + 1) * (int) shape[1]);
                }
                int[] counted = new int[tokens.size()]; // from the Java mask: no engine call
                for (int i = 0; i < counted.length; i++) {
                    for (long seen : tokens.attentionMask()[i]) {
                        counted[i] += (int) seen;
                    }
                }
                return new Embeddings(vectors, counted, heads.classify(forward, tokens.size(), hidden, mask, batch));
            }
        });
    }

    @Override
    public void close() {
        batcher.close();
        manager.close();
    }
}
