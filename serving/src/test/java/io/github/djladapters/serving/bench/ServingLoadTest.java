package io.github.djladapters.serving.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.bert.BertConfig;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.serving.http.ServerOptions;
import io.github.djladapters.serving.http.ServingServer;
import io.github.djladapters.serving.http.TinyGpt2;
import io.github.djladapters.serving.model.BatchSettings;
import io.github.djladapters.serving.model.ModelLoader;
import io.github.djladapters.serving.model.ServedModel;
import io.github.djladapters.serving.registry.RandomAdapterWeights;
import io.github.djladapters.serving.registry.RegistryOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded load test on loopback: all-MiniLM-L6-v2 embeddings and tiny-GPT-2 generation, each with
 * {@code adapters} LoRA adapters, {@code clients} concurrent clients (3 of 4 requests embeddings),
 * and register/unregister churn on the management API during the run. Every response is compared
 * with the same adapter's single-request result, taken before the run. Unrecorded warm-up rounds of
 * each load ({@code seconds / 6} each) repeat until each load's server CPU per request has settled
 * (within 10 % of its previous round, at most three rounds); then {@code rounds} rounds measure the
 * three loads, {@code seconds / rounds} each, in an order rotated from round to round (so that no load
 * always comes first and pays for the others' compilation): the adapters mixed in one forward, the
 * same load on one adapter, and the adapters with one forward per adapter group. It prints each
 * phase (throughput, p50/p99 latency, failures, mismatches, resident set size and committed Java heap
 * after warm-up and at the end), the CPU time of each phase by thread kind ({@link ThreadCpu}, JIT and
 * GC apart), and per load the medians over the rounds: server CPU per request, the CPU per request of
 * the threads that run forwards and their share, and the two ratios. The clients send requests built
 * once and check each reply with a streaming parser against the answer taken alone before the load.
 * With {@code -Dload.profile=FILE} it also records the run with Flight Recorder and prints each
 * phase's samples by thread kind and activity ({@link JfrBreakdown}). {@code -Dload.threads=N} sets
 * PyTorch's intra-op threads per forward (the pom's default is 1: the two servers' forward loops share
 * the JVM and two cores; {@code -Dload.threads=default} keeps the engine's own, one per core).
 *
 * <p>{@code ./mvnw -o -q -B -pl serving -am -DskipTests test-compile exec:exec@load-test
 * [-Dload.seconds=60 -Dload.adapters=16 -Dload.clients=32 -Dload.profile=load.jfr -Dload.threads=1
 * -Dload.rounds=3]}
 */
public final class ServingLoadTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TEXTS = List.of("the battery lasts all day", "it broke after a week",
            "great value for the price", "the screen is too dim outside", "fast delivery and well packed",
            "I would not buy it again", "works as described", "the manual is confusing");
    private static final List<String> PROMPTS = List.of("w5 w9 w17", "w3", "w40 w41 w42", "w7 w7", "w100 w3 w9 w1");

    private ServingLoadTest() {}

    /** One phase's outcome. */
    record Phase(String name, double seconds, long requests, long embeds, long generates, long failed, long mismatched,
            long churn, long p50Micros, long p99Micros, long rssWarmKib, long rssEndKib, long heapWarmKib,
            long heapEndKib, Map<String, Double> cpu, double embedRows, double generateRows, JfrBreakdown.Window window) {

        /** CPU seconds of the server's threads (all but the load generator's and the JVM's own). */
        double serverCpu() {
            return cpu.entrySet().stream().filter(e -> !ThreadCpu.isLoadGenerator(e.getKey())
                    && !e.getKey().startsWith("JVM")).mapToDouble(Map.Entry::getValue).sum();
        }

        /** CPU seconds of the threads that run forwards: the embedding batcher, the generation loop, PyTorch's workers. */
        double forwardCpu() {
            return cpu.get("embedding batcher") + cpu.get("generation loop") + cpu.get("engine workers (PyTorch intra-op)");
        }

        double totalCpu() {
            return cpu.values().stream().mapToDouble(Double::doubleValue).sum();
        }

        double serverMsPerRequest() {
            return 1000 * serverCpu() / requests;
        }

        double forwardMsPerRequest() {
            return 1000 * forwardCpu() / requests;
        }

        double requestsPerSecond() {
            return requests / seconds;
        }
    }

    /** One of the three loads: its name, the adapters its clients use, and whether batches hold one adapter each. */
    private record Load(String name, int adapters, boolean perGroup) {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int adapters = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        if (args.length > 4 && !args[4].equals("default")) {
            // PyTorch's intra-op threads per forward; read when the engine loads
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Integer.parseInt(args[4])));
        }
        int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        Path profile = args.length > 3 && !args[3].equals("none") ? Path.of(args[3]).toAbsolutePath() : null;
        jdk.jfr.Recording recording = null;
        if (profile != null) {
            recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
            recording.setToDisk(true);
            recording.setDestination(profile);
            recording.start();
        }
        Path work = Files.createTempDirectory("serving-load");
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "djl-adapters");
        Path embedRoot = work.resolve("minilm-adapters");
        Path gpt2 = work.resolve("gpt2");
        TinyGpt2.writeModel(gpt2);
        writeMiniLmAdapters(embedRoot, adapters);
        for (int i = 0; i < adapters; i++) {
            TinyGpt2.writeLora(gpt2, gpt2.resolve("adapters/g" + i), 500 + i);
        }
        List<Load> loads = List.of(new Load(adapters + " adapters, mixed in one forward", adapters, false),
                new Load("1 adapter", 1, false),
                new Load(adapters + " adapters, one forward per adapter group", adapters, true));
        warmUp(loads, embedRoot, gpt2, cache, clients, Math.max(5, seconds / 6));
        // rounds of the three loads in rotated order, so that no load is always measured first (or last)
        int phaseSeconds = Math.max(5, seconds / rounds);
        Map<Load, List<Phase>> byLoad = new LinkedHashMap<>();
        loads.forEach(load -> byLoad.put(load, new ArrayList<>()));
        List<Phase> phases = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < loads.size(); i++) {
                Load load = loads.get((round + i) % loads.size());
                Phase phase = run(load.name() + ", round " + (round + 1), embedRoot, gpt2, cache, load.adapters(), clients,
                        phaseSeconds, load.perGroup());
                byLoad.get(load).add(phase);
                phases.add(phase);
            }
        }
        System.out.println();
        System.out.println("| phase | requests/s | p50 ms | p99 ms | requests | failed | mismatched | churn cycles"
                + " | RSS after warm-up | RSS at end | Java heap committed after warm-up | at end |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (Phase p : phases) {
            System.out.printf("| %s | %.1f | %.1f | %.1f | %d | %d | %d | %d | %d MiB | %d MiB | %d MiB | %d MiB |%n",
                    p.name(), p.requestsPerSecond(), p.p50Micros() / 1000.0, p.p99Micros() / 1000.0, p.requests(),
                    p.failed(), p.mismatched(), p.churn(), p.rssWarmKib() / 1024, p.rssEndKib() / 1024,
                    p.heapWarmKib() / 1024, p.heapEndKib() / 1024);
        }
        printCpu(phases);
        printSummary(byLoad);
        if (recording != null) {
            recording.stop();
            recording.close();
            printProfile(profile, phases);
        }
    }

    /**
     * Unrecorded rounds of every load ({@code seconds} each), repeated until each load's server CPU per
     * request is within 10 % of its previous round (at most three rounds), so that the measured phases
     * find the code each load runs compiled and the allocator grown.
     */
    private static void warmUp(List<Load> loads, Path embedRoot, Path gpt2, Path cache, int clients, int seconds)
            throws Exception {
        double[] previous = new double[loads.size()];
        java.util.Arrays.fill(previous, Double.NaN);
        for (int round = 1; round <= 3; round++) {
            boolean settled = true;
            for (int i = 0; i < loads.size(); i++) {
                Load load = loads.get(i);
                Phase phase = run("warm-up " + round + ", " + load.name(), embedRoot, gpt2, cache, load.adapters(),
                        clients, seconds, load.perGroup());
                double cpu = phase.serverMsPerRequest();
                settled &= Math.abs(cpu - previous[i]) <= 0.1 * previous[i]; // false in the first round (NaN)
                previous[i] = cpu;
                System.out.printf("warm-up %d, %s: server CPU %.2f ms per request, JIT %.1f s, GC %.1f s%n", round,
                        load.name(), cpu, phase.cpu().get("JVM JIT (C1, C2)"), phase.cpu().get("JVM GC and VM"));
            }
            if (settled) {
                return;
            }
        }
    }

    /** Per load: medians over its rounds, and the two ratios the targets name. */
    private static void printSummary(Map<Load, List<Phase>> byLoad) {
        System.out.println();
        System.out.println("| load (median of " + byLoad.values().iterator().next().size() + " rounds) | requests/s"
                + " | server CPU ms per request | forward threads' CPU ms per request | forward threads' share of server CPU"
                + " | embedding batcher ms per embedding | generation loop ms per completion | rows per embedding forward"
                + " | rows per decoding step (per generation loop, grouped) | JIT s | GC s | failed | mismatched |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        List<double[]> medians = new ArrayList<>();
        for (Map.Entry<Load, List<Phase>> load : byLoad.entrySet()) {
            List<Phase> p = load.getValue();
            double rate = median(p, Phase::requestsPerSecond);
            double server = median(p, Phase::serverMsPerRequest);
            double forward = median(p, Phase::forwardMsPerRequest);
            medians.add(new double[] {rate, server, forward});
            System.out.printf("| %s | %.1f | %.2f | %.2f | %.0f %% | %.2f | %.2f | %.1f | %.1f | %.1f | %.1f | %d | %d |%n",
                    load.getKey().name(), rate, server, forward, 100 * median(p, x -> x.forwardCpu() / x.serverCpu()),
                    median(p, x -> 1000 * x.cpu().get("embedding batcher") / x.embeds()),
                    median(p, x -> 1000 * x.cpu().get("generation loop") / x.generates()),
                    median(p, Phase::embedRows), median(p, Phase::generateRows),
                    median(p, x -> x.cpu().get("JVM JIT (C1, C2)")), median(p, x -> x.cpu().get("JVM GC and VM")),
                    p.stream().mapToLong(Phase::failed).sum(), p.stream().mapToLong(Phase::mismatched).sum());
        }
        double[] mixed = medians.get(0);
        double[] one = medians.get(1);
        double[] grouped = medians.get(2);
        System.out.printf("%nmixed / one adapter: %.2fx throughput, %.2fx server CPU per request (one / mixed)%n",
                mixed[0] / one[0], one[1] / mixed[1]);
        System.out.printf("mixed / one forward per group: %.2fx throughput, %.2fx server CPU per request (grouped / mixed),"
                + " %.2fx forward threads' CPU per request (the ratio if nothing else cost anything)%n",
                mixed[0] / grouped[0], grouped[1] / mixed[1], grouped[2] / mixed[2]);
    }

    private static double median(List<Phase> phases, java.util.function.ToDoubleFunction<Phase> value) {
        double[] values = phases.stream().mapToDouble(value).sorted().toArray();
        int n = values.length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /**
     * Writes {@code count} random LoRA adapters (r=8 on query/value) for all-MiniLM-L6-v2 as folders
     * {@code e0 .. e<count-1>}, plus one more at {@code spare/churn}.
     */
    public static void writeMiniLmAdapters(Path root, int count) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel bert = new BertModel(BertConfig.allMiniLmL6V2());
            bert.initialize(manager);
            AdapterModel<BertModel> scratch = Adapters.init(bert);
            scratch.addAdapter("x", LoRAConfig.builder().r(8).loraAlpha(16).targetModules("query", "value").build());
            Random random = new Random(11);
            for (int i = 0; i <= count; i++) {
                RandomAdapterWeights.fill(scratch, "x", manager, random, 0.1f);
                scratch.saveAdapterFolder("x", i == count ? root.resolve("spare/churn") : root.resolve("e" + i));
            }
        }
    }

    static Phase run(String name, Path embedRoot, Path gpt2, Path cache, int adapters, int clients, int seconds,
            boolean perGroup) throws Exception {
        BatchSettings batching = new BatchSettings(32, 5, perGroup);
        try (ServedModel encoder = ModelLoader.open(ModelLoader.BUILT_IN, embedRoot, RegistryOptions.DEFAULTS, batching, cache);
                ServedModel decoder = ModelLoader.open(gpt2.toString(), null, RegistryOptions.DEFAULTS, batching, cache);
                ServingServer embedServer = ServingServer.start(encoder, ServerOptions.ephemeral());
                ServingServer generateServer = ServingServer.start(decoder, ServerOptions.ephemeral())) {
            HttpClient client = HttpClient.newHttpClient();
            String e = "http://" + embedServer.inferenceAddress();
            String g = "http://" + generateServer.inferenceAddress();
            String m = "http://" + embedServer.managementAddress();
            // every request the clients send is built once, with the answer it must get (taken alone, before the load)
            Call[][] embedCalls = new Call[adapters][TEXTS.size()];
            Call[][] generateCalls = new Call[adapters][PROMPTS.size()];
            for (int a = 0; a < adapters; a++) {
                for (int i = 0; i < TEXTS.size(); i++) {
                    HttpRequest request = jsonPost(e + "/v1/embeddings", Map.of("model", "e" + a, "input", TEXTS.get(i)));
                    embedCalls[a][i] = new Call(request, false, embedding(sendBytes(client, request)), null);
                }
                for (int i = 0; i < PROMPTS.size(); i++) {
                    HttpRequest request = jsonPost(g + "/v1/completions", Map.of("model", "g" + a, "prompt", PROMPTS.get(i),
                            "max_tokens", 8, "temperature", 0));
                    generateCalls[a][i] = new Call(request, true, null, completionText(sendBytes(client, request)));
                }
            }
            post(client, m + "/adapters?name=churn-ref&src=spare/churn", null);
            String churnExpected = embed(client, e, "churn-ref", TEXTS.get(0));
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long warm = System.nanoTime() + seconds * 1_000_000_000L / 6;
            AtomicLong failed = new AtomicLong();
            AtomicLong embeds = new AtomicLong();
            AtomicLong generates = new AtomicLong();
            AtomicLong mismatched = new AtomicLong();
            AtomicLong churn = new AtomicLong();
            long[] rssWarm = new long[1];
            long[] heapWarm = new long[1];
            List<List<Long>> latencies = Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            long start = System.nanoTime();
            Instant startInstant = Instant.now();
            ThreadCpu.Sample cpuBefore = ThreadCpu.sample();
            for (int c = 0; c < clients; c++) {
                Random random = new Random(c);
                List<Long> mine = new ArrayList<>();
                latencies.add(mine);
                threads.add(started("load-client-" + c, () -> {
                    while (System.nanoTime() < end) {
                        int a = random.nextInt(adapters);
                        boolean generate = random.nextInt(4) == 0;
                        Call call = generate ? generateCalls[a][random.nextInt(PROMPTS.size())]
                                : embedCalls[a][random.nextInt(TEXTS.size())];
                        long t0 = System.nanoTime();
                        try {
                            byte[] reply = sendBytes(client, call.request());
                            mine.add((System.nanoTime() - t0) / 1000);
                            if (!call.answeredBy(reply)) {
                                mismatched.incrementAndGet();
                            }
                            (generate ? generates : embeds).incrementAndGet();
                        } catch (Exception failure) {
                            failed.incrementAndGet();
                        }
                    }
                }));
            }
            threads.add(started("load-churn", () -> {
                for (int k = 0; System.nanoTime() < end; k++) {
                    try {
                        post(client, m + "/adapters?name=churn-" + k + "&src=spare/churn", null);
                        if (!close(churnExpected, embed(client, e, "churn-" + k, TEXTS.get(0)))) {
                            mismatched.incrementAndGet();
                        }
                        send(client, HttpRequest.newBuilder(URI.create(m + "/adapters/churn-" + k)).DELETE().build());
                        churn.incrementAndGet();
                        Thread.sleep(250);
                    } catch (Exception failure) {
                        failed.incrementAndGet();
                    }
                }
            }));
            while (System.nanoTime() < warm) {
                Thread.sleep(50);
            }
            rssWarm[0] = rssKib();
            heapWarm[0] = heapCommittedKib();
            while (System.nanoTime() < end) {
                Thread.sleep(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            }
            // sampled while the clients still live (an ended thread's CPU time can no longer be read)
            Map<String, Double> cpu = ThreadCpu.secondsByKind(cpuBefore, ThreadCpu.sample());
            double embedRows = meanBatchRows(client, e);
            double generateRows = meanBatchRows(client, g);
            JfrBreakdown.Window window = new JfrBreakdown.Window(name, startInstant, Instant.now());
            for (Thread thread : threads) {
                thread.join();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            List<Long> all = new ArrayList<>();
            latencies.forEach(all::addAll);
            Collections.sort(all);
            long p50 = all.isEmpty() ? 0 : all.get(all.size() / 2);
            long p99 = all.isEmpty() ? 0 : all.get(Math.min(all.size() - 1, (int) (all.size() * 0.99)));
            Phase phase = new Phase(name, elapsed, all.size(), embeds.get(), generates.get(), failed.get(), mismatched.get(), churn.get(), p50, p99,
                    rssWarm[0], rssKib(), heapWarm[0], heapCommittedKib(), cpu, embedRows, generateRows, window);
            System.out.println(phase);
            return phase;
        }
    }

    /** Per phase: CPU seconds per thread kind, the load generator's share, and server CPU per request. */
    private static void printCpu(List<Phase> phases) {
        System.out.println();
        StringBuilder header = new StringBuilder("| CPU seconds by thread kind |");
        StringBuilder rule = new StringBuilder("| --- |");
        for (Phase p : phases) {
            header.append(' ').append(p.name()).append(" |");
            rule.append(" --- |");
        }
        System.out.println(header);
        System.out.println(rule);
        for (String kind : ThreadCpu.KINDS) {
            StringBuilder line = new StringBuilder("| " + kind + " |");
            phases.forEach(p -> line.append(String.format(" %.1f |", p.cpu().get(kind))));
            System.out.println(line);
        }
        StringBuilder total = new StringBuilder("| all threads (of wall x 2 cores) |");
        StringBuilder load = new StringBuilder("| load generator's share |");
        StringBuilder server = new StringBuilder("| server CPU ms per request |");
        for (Phase p : phases) {
            double generator = p.cpu().entrySet().stream().filter(e -> ThreadCpu.isLoadGenerator(e.getKey()))
                    .mapToDouble(Map.Entry::getValue).sum();
            total.append(String.format(" %.1f (%.0f %%) |", p.totalCpu(), 100 * p.totalCpu() / (2 * p.seconds())));
            load.append(String.format(" %.0f %% |", 100 * generator / p.totalCpu()));
            server.append(String.format(" %.2f |", 1000 * p.serverCpu() / p.requests()));
        }
        System.out.println(total);
        System.out.println(load);
        System.out.println(server);
    }

    /** Per phase: the flight recording's samples by thread kind and activity, as shares of the phase's samples. */
    private static void printProfile(Path profile, List<Phase> phases) throws Exception {
        Map<String, Map<String, Integer>> counts = JfrBreakdown.read(profile,
                phases.stream().map(Phase::window).toList());
        System.out.println();
        System.out.println("JFR samples (" + profile + "), share of each phase's samples:");
        for (Map.Entry<String, Map<String, Integer>> phase : counts.entrySet()) {
            int all = phase.getValue().values().stream().mapToInt(Integer::intValue).sum();
            System.out.println("- " + phase.getKey() + " (" + all + " samples)");
            phase.getValue().entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                    .forEach(e -> System.out.printf("    %5.1f %%  %s%n", 100.0 * e.getValue() / all, e.getKey()));
        }
    }

    /** A request the clients send, built once, and the answer it must get: an embedding, or a generated text. */
    private record Call(HttpRequest request, boolean generate, float[] embedding, String text) {

        /** Whether a reply is this call's answer: the same text, or an embedding within 1e-4 of it. */
        boolean answeredBy(byte[] reply) throws Exception {
            if (generate) {
                return text.equals(ServingLoadTest.completionText(reply));
            }
            float[] got = ServingLoadTest.embedding(reply);
            if (got.length != embedding.length) {
                return false;
            }
            for (int i = 0; i < got.length; i++) {
                if (Math.abs(got[i] - embedding[i]) > 1e-4) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Mean rows per batch a server has run ({@code djl_adapters_batch_size}): per embedding forward; for
     * generation per decoding step (continuous batching) or per generation loop (one loop per group).
     */
    private static double meanBatchRows(HttpClient client, String server) throws Exception {
        String text = new String(sendBytes(client, HttpRequest.newBuilder(URI.create(server + "/metrics")).build()),
                java.nio.charset.StandardCharsets.UTF_8);
        double sum = 0;
        double count = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("djl_adapters_batch_size_sum")) {
                sum = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            } else if (line.startsWith("djl_adapters_batch_size_count")) {
                count = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return count == 0 ? 0 : sum / count;
    }

    private static HttpRequest jsonPost(String url, Object body) throws Exception {
        return HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
    }

    private static byte[] sendBytes(HttpClient client, HttpRequest request) throws Exception {
        HttpResponse<byte[]> reply = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (reply.statusCode() != 200) {
            throw new IllegalStateException(request.uri() + " -> " + reply.statusCode() + " "
                    + new String(reply.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return reply.body();
    }

    /** The first {@code embedding} array of an embeddings reply, read with a streaming parser. */
    static float[] embedding(byte[] reply) throws Exception {
        try (com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(reply)) {
            while (parser.nextToken() != null) {
                if (parser.currentToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME
                        && parser.currentName().equals("embedding")) {
                    parser.nextToken();
                    float[] values = new float[64];
                    int n = 0;
                    while (parser.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
                        if (n == values.length) {
                            values = java.util.Arrays.copyOf(values, 2 * n);
                        }
                        values[n++] = parser.getFloatValue();
                    }
                    return java.util.Arrays.copyOf(values, n);
                }
            }
        }
        throw new IllegalStateException("no embedding in " + new String(reply, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The first choice's {@code text} of a completions reply, read with a streaming parser. */
    static String completionText(byte[] reply) throws Exception {
        try (com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(reply)) {
            while (parser.nextToken() != null) {
                if (parser.currentToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME
                        && parser.currentName().equals("text")) {
                    parser.nextToken();
                    return parser.getText();
                }
            }
        }
        throw new IllegalStateException("no text in " + new String(reply, java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Thread started(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.start();
        return thread;
    }

    private static String embed(HttpClient client, String base, String model, String text) throws Exception {
        JsonNode body = post(client, base + "/v1/embeddings", Map.of("model", model, "input", text));
        return body.get("data").get(0).get("embedding").toString();
    }

    private static JsonNode post(HttpClient client, String url, Object body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        return send(client, HttpRequest.newBuilder(URI.create(url)).POST(publisher).build());
    }

    private static JsonNode send(HttpClient client, HttpRequest request) throws Exception {
        HttpResponse<String> reply = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (reply.statusCode() != 200) {
            throw new IllegalStateException(request.uri() + " -> " + reply.statusCode() + " " + reply.body());
        }
        return JSON.readTree(reply.body());
    }

    /** Embeddings equal within float tolerance (batched rows are padded differently). */
    private static boolean close(String want, String got) throws Exception {
        JsonNode a = JSON.readTree(want);
        JsonNode b = JSON.readTree(got);
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (Math.abs(a.get(i).asDouble() - b.get(i).asDouble()) > 1e-4) {
                return false;
            }
        }
        return true;
    }

    /** The Java heap the JVM has taken from the system: part of the RSS, grown and shrunk by the collector. */
    private static long heapCommittedKib() {
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
    }

    private static long rssKib() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
