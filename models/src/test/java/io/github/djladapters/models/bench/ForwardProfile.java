package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.ia3.IA3Config;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The engine calls of one all-MiniLM-L6-v2 forward (batch 8 x 128 tokens, no gradients): PyTorch's
 * profiler over one forward of the base model, of the model with a merged LoRA (r=8 on {@code query}
 * and {@code value}) and with IA3 (PEFT's BERT targets), each printed as the count of top-level ops
 * (the calls DJL makes into libtorch; ops that those ops run inside are not counted) by name.
 *
 * <pre>
 * java -cp (test class path) io.github.djladapters.models.bench.ForwardProfile [trace-dir]
 * </pre>
 *
 * The traces (chrome format) are kept in {@code trace-dir} (default: the temporary directory).
 */
public final class ForwardProfile {

    private ForwardProfile() {}

    /**
     * Profiles one forward of each variant and prints its top-level op counts.
     *
     * @param args optional directory for the traces
     * @throws IOException when the model or a trace cannot be read
     */
    public static void main(String[] args) throws IOException {
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        Path traces = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        Path cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "djl-adapters-minilm");
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel base = AllMiniLmL6V2.load(manager, cacheDir);
            AdapterModel<BertModel> merged = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            merged.addAdapter("lora", LoRAConfig.builder().r(8).loraAlpha(16).targetModules("query", "value")
                    .initLoraWeights(LoRAInit.NONE).build());
            merged.setActiveAdapters("lora");
            merged.mergeAdapter("lora");
            AdapterModel<BertModel> ia3 = Adapters.init(AllMiniLmL6V2.load(manager, cacheDir));
            ia3.addAdapter("ia3", IA3Config.builder().targetModules("key", "value", "output.dense")
                    .feedforwardModules("output.dense").build());
            ia3.setActiveAdapters("ia3");
            Map<String, Function<NDList, NDList>> variants = new java.util.LinkedHashMap<>();
            variants.put("base", in -> base.forward(new ParameterStore(in.head().getManager(), false), in, false));
            variants.put("lora-merged", merged::forward);
            variants.put("ia3", ia3::forward);
            long[][] ids = new long[8][128];
            Random random = new Random(42);
            for (long[] row : ids) {
                for (int t = 0; t < row.length; t++) {
                    row[t] = t == 0 ? 101 : t == row.length - 1 ? 102 : 1000 + random.nextInt(29000);
                }
            }
            for (Map.Entry<String, Function<NDList, NDList>> variant : variants.entrySet()) {
                for (int run = 0; run < 3; run++) {
                    Path trace = run == 2 ? traces.resolve("forward-" + variant.getKey() + ".json") : null;
                    forward(manager, ids, variant.getValue(), trace);
                }
                Map<String, Integer> counts = topLevelOps(traces.resolve("forward-" + variant.getKey() + ".json"));
                int total = counts.values().stream().mapToInt(Integer::intValue).sum();
                System.out.printf("%s: %d top-level ops%n", variant.getKey(), total);
                counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                        .forEach(e -> System.out.printf("  %5d  %s%n", e.getValue(), e.getKey()));
            }
        }
    }

    private static void forward(NDManager manager, long[][] ids, Function<NDList, NDList> step, Path trace) {
        try (NDManager scope = manager.newSubManager(); GradientsOff off = GradientsOff.onThisThread()) {
            NDArray input = scope.create(ids);
            NDList inputs = new NDList(input, scope.ones(input.getShape(), input.getDataType()),
                    scope.zeros(input.getShape(), input.getDataType()));
            if (trace != null) {
                JniUtils.startProfile(false, true, true);
            }
            step.apply(inputs);
            if (trace != null) {
                JniUtils.stopProfile(trace.toString());
            }
        }
    }

    /** Op name (with input shapes) to count, for the events that no other event on their thread encloses. */
    static Map<String, Integer> topLevelOps(Path trace) throws IOException {
        JsonNode root = new ObjectMapper().readTree(Files.readString(trace));
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        List<JsonNode> ops = new ArrayList<>();
        events.forEach(e -> {
            if ("X".equals(e.path("ph").asText()) && !e.path("name").asText().startsWith("[")) {
                ops.add(e);
            }
        });
        ops.sort(Comparator.<JsonNode>comparingDouble(e -> e.path("ts").asDouble())
                .thenComparing(e -> -e.path("dur").asDouble()));
        Map<String, Double> openUntil = new TreeMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (JsonNode op : ops) {
            String tid = op.path("tid").asText();
            double start = op.path("ts").asDouble();
            if (start < openUntil.getOrDefault(tid, Double.NEGATIVE_INFINITY)) {
                continue;
            }
            openUntil.put(tid, start + op.path("dur").asDouble());
            JsonNode shapes = op.path("args").path("Input Dims");
            counts.merge(op.path("name").asText() + (shapes.isMissingNode() ? "" : " " + shapes), 1, Integer::sum);
        }
        return counts;
    }
}
