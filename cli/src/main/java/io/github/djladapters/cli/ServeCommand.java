package io.github.djladapters.cli;

import io.github.djladapters.serving.http.ServerOptions;
import io.github.djladapters.serving.http.ServingServer;
import io.github.djladapters.serving.model.BatchSettings;
import io.github.djladapters.serving.model.ModelLoader;
import io.github.djladapters.serving.model.ServedModel;
import io.github.djladapters.serving.model.Workflow;
import io.github.djladapters.serving.registry.AdapterRootWatcher;
import io.github.djladapters.serving.registry.RegistryOptions;
import io.github.djladapters.serving.registry.ServingMode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code djl-adapters serve}: serves one base model with many adapters over HTTP until stopped, and
 * prints the inference and the management address ({@code host:port}), each on its own line.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serves a model with the adapters of a folder: DJL Serving's adapter API on the management "
                + "address, DJL Serving's and OpenAI-style inference on the inference address.")
final class ServeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", defaultValue = ModelLoader.BUILT_IN,
            description = "all-MiniLM-L6-v2 (built in, offline) or a BERT-family model folder (config.json, "
                    + "model.safetensors, tokenizer.json) for embeddings, or a GPT-2 / Llama-family folder for text "
                    + "generation; clients name the model by this value. Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = {"-a", "--adapters"}, paramLabel = "DIR",
            description = "The adapter root: each sub-folder is registered under its name at start-up, and every src "
                    + "must lie inside it. Default: <model folder>/adapters.")
    Path adapters;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Inference address. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = {"-p", "--port"}, defaultValue = "8080", description = "Inference port (0: any free). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--management-host", defaultValue = "127.0.0.1",
            description = "Management address. Default: ${DEFAULT-VALUE}.")
    String managementHost;

    @Option(names = "--management-port", defaultValue = "8081",
            description = "Management port (0: any free). Default: ${DEFAULT-VALUE}.")
    int managementPort;

    @Option(names = "--management-token", paramLabel = "TOKEN", defaultValue = "${env:DJL_ADAPTERS_MANAGEMENT_TOKEN}",
            description = "Bearer token the management API requires (default: $DJL_ADAPTERS_MANAGEMENT_TOKEN, none if unset).")
    String managementToken;

    @Option(names = "--max-loras", defaultValue = "64",
            description = "Adapters resident at once; the least recently used unpinned one is evicted. Default: ${DEFAULT-VALUE}.")
    int maxLoras;

    @Option(names = "--max-adapter-mib", defaultValue = "2048",
            description = "Bound on the memory adapters take, in MiB: resident weights and the copies of them that"
                    + " batches keep. Default: ${DEFAULT-VALUE}.")
    long maxAdapterMib;

    @Option(names = "--mode", defaultValue = "unmerged",
            description = "unmerged (mixed-adapter batches) or merged (one adapter merged into the base per batch). "
                    + "Default: ${DEFAULT-VALUE}.")
    ServingMode mode;

    @Option(names = "--max-batch-size", defaultValue = "32", description = "Rows per forward. Default: ${DEFAULT-VALUE}.")
    int maxBatchSize;

    @Option(names = "--max-batch-delay", paramLabel = "MS", defaultValue = "5",
            description = "How long a batch waits for more requests, in ms. Default: ${DEFAULT-VALUE}.")
    long maxBatchDelay;

    @Option(names = "--workflow", paramLabel = "FILE",
            description = "A DJL Serving workflow JSON whose configs.adapters are registered and whose "
                    + "[\"adapter\", name, input] steps run at POST /predictions/<workflow name>; repeatable.")
    List<Path> workflows = List.of();

    @Option(names = "--watch", description = "Watch the adapter root: adapter folders that appear, change or disappear "
            + "are registered, reloaded or unregistered, so replicas sharing one folder serve the same adapters.")
    boolean watch;

    @Option(names = "--watch-interval", paramLabel = "MS", defaultValue = "500",
            description = "How often --watch reads the adapter root, in ms. Default: ${DEFAULT-VALUE}.")
    long watchInterval;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where the built-in model's files are extracted once. Default: ~/.cache/djl-adapters.")
    Path cacheDir;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        Path cache = cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "djl-adapters");
        RegistryOptions registry = new RegistryOptions(maxLoras, maxAdapterMib << 20, mode);
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch closed = new CountDownLatch(1);
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> { // on Ctrl-C or SIGTERM: stop serving, close the model, then let the JVM end
            main.interrupt();
            try {
                closed.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "serve-shutdown");
        try (ServedModel served = ModelLoader.open(model, adapters, registry, new BatchSettings(maxBatchSize, maxBatchDelay), cache);
                AdapterRootWatcher watcher = watch ? new AdapterRootWatcher(served.registry(), watchInterval) : null;
                ServingServer server = ServingServer.start(served, new ServerOptions(host, port, managementHost,
                        managementPort, managementToken))) {
            for (Path workflow : workflows) {
                served.addWorkflow(Workflow.read(workflow, served));
            }
            out.println("inference: " + server.inferenceAddress());
            out.println("management: " + server.managementAddress());
            out.flush();
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                server.join();
            } catch (InterruptedException stopped) {
                // stopping is what the interrupt asks for; the flag stays clear so closing can wait for workers
            }
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: nothing to remove
            }
        }
        return DjlAdapters.OK;
    }
}
