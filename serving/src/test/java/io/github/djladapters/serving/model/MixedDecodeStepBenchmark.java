package io.github.djladapters.serving.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.gpt2.GPT2LMHeadModel;
import io.github.djladapters.models.gpt2.GPT2Models;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.PreparedRows;
import io.github.djladapters.runtime.methods.RowArrayCache;
import io.github.djladapters.runtime.methods.lora.LoRALayer;
import io.github.djladapters.serving.http.TinyGpt2;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The cost of one decoding-step-sized forward with per-row adapters, where fixed per-forward costs
 * dominate: the tiny GPT-2 of the fixtures with {@code adapters} frozen LoRA adapters (r=4 on c_attn
 * and c_fc, as the load test serves them), {@code rows} rows of one token, each row its own adapter
 * in turn. Interleaved, round after round: kept per-row stacks, stacks built every forward, the
 * row routing alone ({@code AdapterModel.routeRows}, its masks and indices), rows prepared once for
 * every forward ({@code AdapterModel.prepareRows}: what a decoding batch does between joins and
 * leaves), and one adapter on every row. Prints the median
 * calling-thread CPU microseconds of each; run with {@code OMP_NUM_THREADS=1} so that PyTorch
 * computes on the calling thread.
 *
 * <p>{@code java ... MixedDecodeStepBenchmark [rounds] [rows] [adapters]}
 */
public final class MixedDecodeStepBenchmark {

    private MixedDecodeStepBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int adapters = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        Path work = Files.createTempDirectory("decode-step");
        Path modelDir = work.resolve("gpt2");
        TinyGpt2.writeModel(modelDir);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (NDManager manager = NDManager.newBaseManager()) {
            GPT2LMHeadModel gpt2 = GPT2Models.fromCheckpoint(modelDir, manager);
            AdapterModel<GPT2LMHeadModel> peft = Adapters.init(gpt2);
            List<String> names = new ArrayList<>();
            for (int i = 0; i < adapters; i++) {
                Path dir = work.resolve("g" + i);
                TinyGpt2.writeLora(modelDir, dir, 500 + i);
                peft.loadAdapter(dir, "g" + i);
                peft.freezeAdapter("g" + i, true);
                names.add("g" + i);
            }
            List<String> rowAdapters = new ArrayList<>();
            long[][] ids = new long[rows][1];
            for (int r = 0; r < rows; r++) {
                rowAdapters.add(names.get(r % adapters));
                ids[r][0] = 3 + r % 100;
            }
            String[] variants = {"forward, per-row stacks kept", "forward, per-row stacks built every forward",
                "routeRows alone (masks and indices)", "forward, rows prepared once (masks and gathered weights kept)",
                "forward, one adapter on every row"};
            long[][] micros = new long[variants.length][rounds];
            PreparedRows prepared = peft.prepareRows(rowAdapters, manager, RowArrayCache.DEFAULT_BUDGET_BYTES);
            List<String> oneAdapter = java.util.Collections.nCopies(rows, names.get(0));
            for (int round = -20; round < rounds; round++) {
                long[] t = new long[variants.length];
                for (int v = 0; v < 2; v++) {
                    LoRALayer.reusePerRowStacks(v == 0);
                    try (NDManager scope = manager.newSubManager()) {
                        long start = threads.getCurrentThreadCpuTime();
                        peft.forward(new NDList(scope.create(ids)), rowAdapters);
                        t[v] = (threads.getCurrentThreadCpuTime() - start) / 1000;
                    }
                }
                LoRALayer.reusePerRowStacks(true);
                try (NDManager scope = manager.newSubManager()) {
                    long start = threads.getCurrentThreadCpuTime();
                    try (AdapterModel.RowAdapters routed = peft.routeRows(rowAdapters, scope)) {
                        t[2] = (threads.getCurrentThreadCpuTime() - start) / 1000;
                    }
                }
                try (NDManager scope = manager.newSubManager()) {
                    long start = threads.getCurrentThreadCpuTime();
                    try (AdapterModel.RowAdapters routed = peft.routeRows(prepared)) {
                        peft.forward(new NDList(scope.create(ids)));
                    }
                    t[3] = (threads.getCurrentThreadCpuTime() - start) / 1000;
                }
                try (NDManager scope = manager.newSubManager()) {
                    long start = threads.getCurrentThreadCpuTime();
                    peft.forward(new NDList(scope.create(ids)), oneAdapter);
                    t[4] = (threads.getCurrentThreadCpuTime() - start) / 1000;
                }
                if (round >= 0) {
                    for (int v = 0; v < variants.length; v++) {
                        micros[v][round] = t[v];
                    }
                }
            }
            System.out.println("| " + rows + " rows, " + adapters + " adapters | thread CPU us (median) |");
            System.out.println("| --- | --- |");
            for (int v = 0; v < variants.length; v++) {
                Arrays.sort(micros[v]);
                System.out.printf("| %s | %d |%n", variants[v], micros[v][rounds / 2]);
            }
            prepared.close();
        }
    }
}
