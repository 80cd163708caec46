package io.github.djladapters.serving.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.generation.CausalLanguageModel;
import io.github.djladapters.models.generation.DecodingBatch;
import io.github.djladapters.models.generation.GenerationConfig;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.PreparedRows;
import io.github.djladapters.serving.metrics.ServingMetrics;
import io.github.djladapters.serving.registry.AdapterLease;
import io.github.djladapters.serving.registry.AdapterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Iteration-level (continuous) batching for generation, as vLLM and LoRAX do it: one worker thread
 * runs a {@link DecodingBatch}; between two tokens, waiting prompts join (up to the batch size) and
 * finished rows leave, so a short request never waits for a long one. Each row keeps its adapter
 * version ({@link AdapterLease}), its sampling settings, its seeded sampler and its cache rows. The
 * running rows' routing ({@link PreparedRows}: row masks, and each LoRA layer's gathered per-row weights)
 * is built once and reused by every step until a row joins or leaves; it names the leased versions and
 * holds no lock between steps, so registrations and updates go on while a batch runs.
 */
final class ContinuousScheduler implements AutoCloseable {

    /** One prompt in flight. */
    record Row(GenerationRequest request, int[] prompt, GenerationConfig config, Consumer<String> sink, long arrived,
            CompletableFuture<Completion> result) {}

    private static final Row STOP = new Row(null, null, null, null, 0, null);

    private final AdapterRegistry registry;
    private final CausalLanguageModel model;
    private final HuggingFaceTokenizer tokenizer;
    private final Set<Integer> stopTokens;
    private final int maxRows;
    private final Supplier<ServingMetrics> metrics;
    private final BlockingQueue<Row> waiting = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean closed;

    /** A running row: its request, lease, text so far and tokens generated. */
    private static final class Running {
        final Row row;
        final AdapterLease lease;
        final StreamedText text;
        int generated;

        Running(Row row, AdapterLease lease, StreamedText text) {
            this.row = row;
            this.lease = lease;
            this.text = text;
        }
    }

    ContinuousScheduler(AdapterRegistry registry, CausalLanguageModel model, HuggingFaceTokenizer tokenizer,
            Set<Integer> stopTokens, int maxRows, Supplier<ServingMetrics> metrics) {
        this.registry = registry;
        this.model = model;
        this.tokenizer = tokenizer;
        this.stopTokens = stopTokens;
        this.maxRows = maxRows;
        this.metrics = metrics;
        this.worker = new Thread(this::work, "continuous-generation");
        worker.setDaemon(true);
        worker.start();
    }

    void submit(Row row) {
        if (closed) {
            throw new IllegalStateException("the server is shutting down");
        }
        waiting.add(row);
    }

    int queueDepth() {
        return waiting.size();
    }

    private void work() {
        List<Running> running = new ArrayList<>();
        NDManager manager = NDManager.newBaseManager();
        DecodingBatch batch = new DecodingBatch(model, manager);
        PreparedRows routing = null; // the running rows' routing, built once while they stay the same
        try {
            while (!closed) {
                List<Running> joining = admit(running.isEmpty());
                if (closed) {
                    break;
                }
                try {
                    if (!joining.isEmpty()) {
                        int[] first;
                        try (NDManager scope = manager.newSubManager();
                                AdapterModel.RowAdapters routed = registry.routeRows(leases(joining), scope)) {
                            first = batch.join(joining.stream().map(r -> r.row.prompt()).toList(),
                                    joining.stream().map(r -> r.row.config()).toList());
                        }
                        running.addAll(joining);
                        routing = closed(routing);
                        accept(running.subList(running.size() - joining.size(), running.size()), first);
                    } else if (!running.isEmpty()) {
                        if (routing == null) {
                            routing = registry.prepareRows(leases(running), manager);
                        }
                        int[] next;
                        try (AdapterModel.RowAdapters routed = registry.routeRows(routing)) {
                            next = batch.step();
                        }
                        accept(running, next);
                    }
                } catch (RuntimeException failure) {
                    // the batch may be half-updated: fail its rows and start afresh
                    routing = closed(routing);
                    List<Running> lost = new ArrayList<>(running);
                    joining.stream().filter(r -> !running.contains(r)).forEach(lost::add);
                    lost.forEach(r -> finish(r, failure));
                    running.clear();
                    batch.close();
                    batch = new DecodingBatch(model, manager);
                    continue;
                }
                ServingMetrics observer = metrics.get();
                if (observer != null && !running.isEmpty()) {
                    observer.batch(running.size());
                }
                boolean[] leaving = new boolean[running.size()];
                for (int r = 0; r < leaving.length; r++) {
                    Running row = running.get(r);
                    leaving[r] = row.text.done() || row.generated >= row.row.config().maxNewTokens();
                }
                batch.leave(leaving);
                for (int r = leaving.length - 1; r >= 0; r--) {
                    if (leaving[r]) {
                        routing = closed(routing);
                        finish(running.remove(r), null);
                    }
                }
            }
        } finally {
            IllegalStateException stopped = new IllegalStateException("the server is shutting down");
            running.forEach(r -> finish(r, stopped));
            Row left;
            while ((left = waiting.poll()) != null) {
                if (left != STOP) {
                    left.result().completeExceptionally(stopped);
                }
            }
            closed(routing);
            batch.close();
            manager.close();
        }
    }

    /** Closes a routing whose rows changed (its kept per-row weights go with it); null to rebuild at the next step. */
    private static PreparedRows closed(PreparedRows routing) {
        if (routing != null) {
            routing.close();
        }
        return null;
    }

    /** Takes waiting prompts that fit, waiting for one when the batch is empty; leases their adapters. */
    private List<Running> admit(boolean block) {
        List<Running> joining = new ArrayList<>();
        try {
            Row row = block ? waiting.take() : waiting.poll(0, TimeUnit.MILLISECONDS);
            while (row != null && row != STOP) {
                try {
                    joining.add(new Running(row, registry.lease(row.request().adapter()),
                            new StreamedText(tokenizer, row.request().stop(), row.sink())));
                } catch (RuntimeException unknown) {
                    row.result().completeExceptionally(unknown);
                }
                row = joining.size() < maxRows ? waiting.poll() : null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
        return joining;
    }

    private void accept(List<Running> rows, int[] tokens) {
        ServingMetrics observer = metrics.get();
        for (int r = 0; r < rows.size(); r++) {
            Running row = rows.get(r);
            if (row.generated == 0 && observer != null) {
                observer.firstToken((System.nanoTime() - row.row.arrived()) / 1e9);
            }
            row.generated++;
            row.text.add(tokens[r], stopTokens.contains(tokens[r]));
        }
    }

    private void finish(Running row, Throwable failure) {
        row.lease.close();
        if (failure != null) {
            row.row.result().completeExceptionally(failure);
            return;
        }
        Completion completion = row.text.finish(row.row.prompt().length);
        ServingMetrics observer = metrics.get();
        if (observer != null) {
            observer.generated(row.row.request().adapter(), completion.completionTokens(),
                    (System.nanoTime() - row.row.arrived()) / 1e9);
        }
        row.row.result().complete(completion);
    }

    private static List<AdapterLease> leases(List<Running> rows) {
        return rows.stream().map(r -> r.lease).toList();
    }

    @Override
    public void close() {
        closed = true;
        waiting.add(STOP);
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
