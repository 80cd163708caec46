package io.github.djladapters.serving.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.models.generation.Generator;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.serving.batching.BatchJob;
import io.github.djladapters.serving.batching.RequestBatcher;
import io.github.djladapters.serving.metrics.ServingMetrics;
import io.github.djladapters.serving.registry.AdapterRegistry;
import io.github.djladapters.serving.registry.ServingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Text generation from a decoder (GPT-2, Llama family) with adapters; new tokens reach each request
 * as they are picked, for streaming. In unmerged mode prompts join and leave one running batch
 * between tokens ({@link ContinuousScheduler}), each row with its own adapter, sampling settings and
 * cache rows. In merged mode (or with {@link BatchSettings#perAdapter()}) prompts with the same
 * adapter and sampling settings are gathered into one generation loop ({@link AdapterModel#routeRows}
 * keeps each row's adapter for every step).
 */
public final class GenerationService implements AutoCloseable {

    private final AdapterRegistry registry;
    private final Generator generator;
    private final HuggingFaceTokenizer tokenizer;
    private final Set<Integer> stopTokens;
    private final int padTokenId;
    private final RequestBatcher<Job> batcher;
    private final ContinuousScheduler continuous;
    private final boolean perAdapter;
    private final NDManager manager = NDManager.newBaseManager();
    private volatile ServingMetrics metrics;

    private record Job(GenerationRequest request, int[] prompt, GenerationConfig config, String batchKey,
            Consumer<String> sink, long arrived, CompletableFuture<Completion> result) implements BatchJob {
        @Override
        public int rows() {
            return 1;
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
     * @param model the decoder
     * @param tokenizer its tokenizer
     * @param stopTokens end-of-sequence tokens
     * @param padTokenId the token fed for padding
     * @param settings batch size and wait
     */
    public GenerationService(AdapterRegistry registry, CausalLanguageModel model, HuggingFaceTokenizer tokenizer,
            Set<Integer> stopTokens, int padTokenId, BatchSettings settings) {
        this.registry = registry;
        this.generator = new Generator(model);
        this.tokenizer = tokenizer;
        this.stopTokens = Set.copyOf(stopTokens);
        this.padTokenId = padTokenId;
        this.perAdapter = settings.perAdapter() || registry.options().mode() == ServingMode.MERGED;
        if (perAdapter) {
            this.batcher = new RequestBatcher<>("generation-batcher", settings.maxBatchSize(), settings.maxWaitMillis(),
                    this::runBatch);
            this.continuous = null;
        } else {
            this.batcher = null;
            this.continuous = new ContinuousScheduler(registry, model, tokenizer, this.stopTokens, settings.maxBatchSize(),
                    () -> metrics);
        }
    }

    /**
     * Reports time to first token, tokens and batch sizes to the metrics.
     *
     * @param serving the metrics
     */
    public void observe(ServingMetrics serving) {
        this.metrics = serving;
    }

    /**
     * Generates a continuation.
     *
     * @param request the prompt, adapter and sampling settings
     * @param sink receives the text piece by piece as it is generated (on the worker thread; keep it
     *     quick); null when not streaming
     * @return the completion once generated; it fails with the registry's exception for an adapter
     *     that is not registered
     */
    public CompletableFuture<Completion> generate(GenerationRequest request, Consumer<String> sink) {
        return generate(request, sink, true);
    }

    /**
     * Generates a continuation, choosing whether the tokenizer adds its special tokens to the prompt.
     *
     * @param request the prompt, adapter and sampling settings
     * @param sink receives the text piece by piece, or null when not streaming
     * @param addSpecialTokens false for a prompt that already holds them, such as one rendered by a
     *     chat template (which writes {@code bos_token} itself)
     * @return the completion once generated
     */
    public CompletableFuture<Completion> generate(GenerationRequest request, Consumer<String> sink,
            boolean addSpecialTokens) {
        int[] prompt = toInts(tokenizer.encode(request.prompt(), addSpecialTokens, false).getIds());
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        GenerationConfig config = request.config(stopTokens, padTokenId);
        String key = config.toString() + (perAdapter ? "|" + request.adapter() : "");
        CompletableFuture<Completion> result = new CompletableFuture<>();
        // a null sink (no streaming) lets the text be decoded once at the end, not at every token
        if (continuous != null) {
            continuous.submit(new ContinuousScheduler.Row(request, prompt, config, sink, System.nanoTime(), result));
            return result;
        }
        batcher.submit(new Job(request, prompt, config, key, sink, System.nanoTime(), result));
        return result;
    }

    /**
     * Requests waiting for a batch.
     *
     * @return the queue depth
     */
    public int queueDepth() {
        return continuous != null ? continuous.queueDepth() : batcher.queueDepth();
    }

    private void runBatch(List<Job> jobs) {
        List<String> adapters = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        List<StreamedText> texts = new ArrayList<>();
        for (Job job : jobs) {
            adapters.add(job.request().adapter());
            prompts.add(job.prompt());
            texts.add(new StreamedText(tokenizer, job.request().stop(), job.sink()));
        }
        ServingMetrics observer = metrics;
        long start = System.nanoTime();
        boolean[] first = new boolean[jobs.size()];
        try {
            registry.run(adapters, forward -> {
                try (NDManager run = manager.newSubManager();
                        AdapterModel.RowAdapters routed = forward.routeRows(run)) {
                    return generator.generate(run, prompts, jobs.get(0).config(), (row, token) -> {
                        if (!first[row] && observer != null) {
                            observer.firstToken((System.nanoTime() - jobs.get(row).arrived()) / 1e9);
                        }
                        first[row] = true;
                        texts.get(row).add(token, stopTokens.contains(token));
                    });
                }
            });
        } catch (RuntimeException e) {
            if (jobs.size() == 1) {
                jobs.get(0).fail(e);
            } else {
                jobs.forEach(job -> runBatch(List.of(job)));
            }
            return;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (observer != null) {
            observer.batch(jobs.size());
        }
        for (int i = 0; i < jobs.size(); i++) {
            Completion completion = texts.get(i).finish(prompts.get(i).length);
            if (observer != null) {
                observer.generated(jobs.get(i).request().adapter(), completion.completionTokens(), seconds);
            }
            jobs.get(i).result().complete(completion);
        }
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public void close() {
        if (continuous != null) {
            continuous.close();
        } else {
            batcher.close();
        }
        manager.close();
    }
}
