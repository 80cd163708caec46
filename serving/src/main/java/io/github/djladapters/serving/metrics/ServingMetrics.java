package io.github.djladapters.serving.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.github.djladapters.serving.registry.RegistryStats;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics, written in the text exposition format by {@code GET /metrics}:
 * requests and errors by endpoint and adapter, request latency, time to first token, generated
 * tokens and their rate, batch sizes, queue depth, registered and resident adapters, their memory,
 * and evictions.
 */
public final class ServingMetrics {

    /**
     * The most distinct values of the {@code adapter} label; later ones are counted under
     * {@value #OTHER_ADAPTERS}. Clients name adapters freely (unknown names, registered and
     * unregistered ones under churn), and every label value is a series kept for the process's life.
     */
    public static final int MAX_ADAPTER_LABELS = 256;

    /** The {@code adapter} label of requests beyond {@link #MAX_ADAPTER_LABELS}. */
    public static final String OTHER_ADAPTERS = "other";

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests;
    private final Counter errors;
    private final Histogram latency;
    private final Histogram timeToFirstToken;
    private final Counter generatedTokens;
    private final Histogram tokensPerSecond;
    private final Histogram batchRows;
    private final Set<String> adapterLabels = ConcurrentHashMap.newKeySet();

    /**
     * The metrics, reading residency and queue depth when scraped.
     *
     * @param stats the registry's counters
     * @param queueDepth requests waiting for a batch
     */
    public ServingMetrics(Supplier<RegistryStats> stats, IntSupplier queueDepth) {
        requests = Counter.builder().name("djl_adapters_requests_total").help("Requests by endpoint, adapter and status")
                .labelNames("endpoint", "adapter", "status").register(registry);
        errors = Counter.builder().name("djl_adapters_request_errors_total")
                .help("Requests answered with a status of 400 or more, by endpoint, adapter and status")
                .labelNames("endpoint", "adapter", "status").register(registry);
        latency = Histogram.builder().name("djl_adapters_request_duration_seconds").help("Request latency")
                .labelNames("endpoint").classicOnly()
                .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30).register(registry);
        timeToFirstToken = Histogram.builder().name("djl_adapters_time_to_first_token_seconds")
                .help("Time from request to the first generated token").classicOnly()
                .classicUpperBounds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10).register(registry);
        generatedTokens = Counter.builder().name("djl_adapters_generated_tokens_total").help("Tokens generated, by adapter")
                .labelNames("adapter").register(registry);
        tokensPerSecond = Histogram.builder().name("djl_adapters_generation_tokens_per_second")
                .help("Generated tokens per second of each generation request").classicOnly()
                .classicUpperBounds(1, 5, 10, 25, 50, 100, 250, 500, 1000).register(registry);
        batchRows = Histogram.builder().name("djl_adapters_batch_size").help("Rows per forward batch").classicOnly()
                .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
        GaugeWithCallback.builder().name("djl_adapters_queue_depth").help("Requests waiting for a batch")
                .callback(cb -> cb.call(queueDepth.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("djl_adapters_registered_adapters").help("Adapters registered")
                .callback(cb -> cb.call(stats.get().registered())).register(registry);
        GaugeWithCallback.builder().name("djl_adapters_resident_adapters").help("Adapter versions loaded in the model")
                .callback(cb -> cb.call(stats.get().resident())).register(registry);
        GaugeWithCallback.builder().name("djl_adapters_resident_adapter_bytes").help("Memory of resident adapter weights")
                .callback(cb -> cb.call(stats.get().residentBytes())).register(registry);
        CounterWithCallback.builder().name("djl_adapters_evictions_total").help("Adapters evicted to make room")
                .callback(cb -> cb.call(stats.get().evictions())).register(registry);
    }

    /**
     * Counts one answered request.
     *
     * @param endpoint the endpoint, such as {@code /v1/embeddings}
     * @param adapter the adapter it named ({@code ""} for the base model)
     * @param status the HTTP status sent
     * @param seconds how long it took
     */
    public void request(String endpoint, String adapter, int status, double seconds) {
        String code = Integer.toString(status);
        String label = adapterLabel(adapter);
        requests.labelValues(endpoint, label, code).inc();
        if (status >= 400) {
            errors.labelValues(endpoint, label, code).inc();
        }
        latency.labelValues(endpoint).observe(seconds);
    }

    /**
     * Records one forward batch.
     *
     * @param rows its rows
     */
    public void batch(int rows) {
        batchRows.observe(rows);
    }

    /**
     * Records a generation's first token.
     *
     * @param seconds time from the request's arrival
     */
    public void firstToken(double seconds) {
        timeToFirstToken.observe(seconds);
    }

    /**
     * Records a finished generation.
     *
     * @param adapter its adapter
     * @param tokens tokens generated
     * @param seconds how long generation took
     */
    public void generated(String adapter, int tokens, double seconds) {
        generatedTokens.labelValues(adapterLabel(adapter)).inc(tokens);
        if (seconds > 0) {
            tokensPerSecond.observe(tokens / seconds);
        }
    }

    /** The adapter's own label value while fewer than {@link #MAX_ADAPTER_LABELS} are in use, else {@value #OTHER_ADAPTERS}. */
    private String adapterLabel(String adapter) {
        if (adapterLabels.contains(adapter)) {
            return adapter;
        }
        synchronized (adapterLabels) {
            if (adapterLabels.size() < MAX_ADAPTER_LABELS) {
                adapterLabels.add(adapter);
                return adapter;
            }
        }
        return OTHER_ADAPTERS;
    }

    /**
     * The content type of {@link #scrape()}.
     *
     * @return Prometheus text format 0.0.4
     */
    public String contentType() {
        return writer.getContentType();
    }

    /**
     * Writes every metric in the Prometheus text format.
     *
     * @return the exposition
     */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new IllegalStateException("writing metrics to memory failed", e);
        }
        return out.toByteArray();
    }
}
