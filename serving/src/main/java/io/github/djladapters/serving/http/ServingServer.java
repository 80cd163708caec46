package io.github.djladapters.serving.http;

import io.github.djladapters.serving.metrics.ServingMetrics;
import io.github.djladapters.serving.model.ServedModel;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP server (Jetty) for one base model with many adapters: the inference API (DJL Serving's
 * {@code /invocations} and {@code /predictions/{m}}, OpenAI-style {@code /v1/...}, {@code /ping},
 * {@code /metrics}) on one address, the management API (DJL Serving's adapter API and vLLM's
 * {@code /v1/load_lora_adapter}) on another.
 *
 * <pre>{@code
 * try (ServingServer server = ServingServer.start(model, ServerOptions.ephemeral())) {
 *     System.out.println(server.inferenceAddress());
 * }
 * }</pre>
 */
public final class ServingServer implements AutoCloseable {

    private final Server server;
    private final ServerConnector inference;
    private final ServerConnector management;

    private ServingServer(Server server, ServerConnector inference, ServerConnector management) {
        this.server = server;
        this.inference = inference;
        this.management = management;
    }

    /**
     * Starts serving a model.
     *
     * @param model the model
     * @param options addresses and token
     * @return the running server
     * @throws Exception when a port cannot be bound
     */
    public static ServingServer start(ServedModel model, ServerOptions options) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("http");
        Server server = new Server(threads);
        ServerConnector inference = new ServerConnector(server);
        inference.setHost(options.host());
        inference.setPort(options.port());
        inference.setName("inference");
        ServerConnector management = new ServerConnector(server);
        management.setHost(options.managementHost());
        management.setPort(options.managementPort());
        management.setName("management");
        server.addConnector(inference);
        server.addConnector(management);
        ServingMetrics metrics = new ServingMetrics(model.registry()::stats, model::queueDepth);
        if (model.embeddings() != null) {
            model.embeddings().observe(metrics);
        }
        if (model.generation() != null) {
            model.generation().observe(metrics);
        }
        server.setHandler(new ApiRouter(model, metrics, management, options.managementToken()));
        server.setStopTimeout(5_000);
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        return new ServingServer(server, inference, management);
    }

    /**
     * The inference address.
     *
     * @return {@code host:port}
     */
    public String inferenceAddress() {
        return address(inference);
    }

    /**
     * The management address.
     *
     * @return {@code host:port}
     */
    public String managementAddress() {
        return address(management);
    }

    private static String address(ServerConnector connector) {
        String host = connector.getHost() == null ? "0.0.0.0" : connector.getHost();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + connector.getLocalPort();
    }

    /**
     * Blocks until the server stops.
     *
     * @throws InterruptedException when interrupted
     */
    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
