package io.github.djladapters.models.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.IValue;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.models.kernels.AttentionKernel;
import io.github.djladapters.models.kernels.TorchKernels;
import io.github.djladapters.models.pretrained.AllMiniLmL6V2;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.engine.Scalars;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The fused attention kernel against attention written out in DJL ops ({@link AttentionKernel}'s
 * switch), interleaved round by round in one process (the order alternates), on all-MiniLM-L6-v2 at
 * the peer comparison's shapes (batch 8 x 128 tokens, 12 heads of 32): one attention call, a whole
 * forward with gradients off, and a LoRA training step (r 8 on query and value, forward in training
 * mode, backward, {@link FusedAdam}). Also the cost of one kernels-module call with one tensor
 * argument against one DJL op. Medians of CPU time of this thread (all the work with one PyTorch
 * thread) and of wall time. Prints one JSON line.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.KernelsBenchmark [rounds] [threads]
 * </pre>
 */
public final class KernelsBenchmark {

    private static final int BATCH = 8;
    private static final int TOKENS = 128;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private KernelsBenchmark() {}

    /**
     * Runs the measurements.
     *
     * @param args measured rounds (default 10), PyTorch intra-op threads (default 1)
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        String threads = args.length > 1 ? args[1] : "1";
        System.setProperty("ai.djl.pytorch.num_threads", threads);
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        StringBuilder json = new StringBuilder("{\"threads\":" + threads);
        try (NDManager manager = NDManager.newBaseManager()) {
            callOverhead(manager, json);
            attentionCall(manager, rounds, json);
            BertModel base = AllMiniLmL6V2.load(manager, Path.of(System.getProperty("java.io.tmpdir"),
                    "djl-adapters-minilm"));
            long[][] ids = BenchInputs.tokenIds(BATCH, TOKENS, new Random(42));
            compare("forward", rounds, json, () -> {
                try (NDManager scope = manager.newSubManager(); GradientsOff off = GradientsOff.onThisThread()) {
                    base.forward(new ParameterStore(scope, false), BenchInputs.bertInputs(scope, ids), false).head();
                }
            });
            AdapterModel<BertModel> adapters = Adapters.init(base);
            adapters.addAdapter("lora", LoRAConfig.builder().r(8).loraAlpha(16).targetModules("query", "value").build());
            adapters.trainAdapter("lora");
            List<Parameter> trainable = BenchInputs.trainable(adapters.model());
            FusedAdam adamW = FusedAdam.adamW(trainable, manager, 1e-5f);
            compare("lora_step", rounds, json, () -> BenchInputs.trainingStep(manager, adapters.model(), adamW, ids));
        } finally {
            AttentionKernel.setEnabled(true);
        }
        System.out.println(json.append('}'));
    }

    /** Microseconds per call: the module's identity method on one small tensor, and one DJL add. */
    private static void callOverhead(NDManager manager, StringBuilder json) {
        TorchKernels kernels = TorchKernels.on(Device.cpu());
        NDArray x = manager.ones(new Shape(4));
        int calls = 20_000;
        double[] micros = new double[2];
        for (int repeat = 0; repeat < 3; repeat++) {
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                try (IValue arg = TorchKernels.tensor(x); IValue out = kernels.call("identity", arg)) {
                    out.isTensor();
                }
            }
            micros[0] = (System.nanoTime() - start) / 1e3 / calls;
            start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                x.add(x).close();
            }
            micros[1] = (System.nanoTime() - start) / 1e3 / calls;
        }
        json.append(String.format(Locale.ROOT, ",\"kernel_call_us\":%.1f,\"djl_add_us\":%.1f", micros[0], micros[1]));
    }

    /** One attention at MiniLM's shapes with a padding mask, gradients off. */
    private static void attentionCall(NDManager manager, int rounds, StringBuilder json) {
        Random random = new Random(5);
        NDArray q = manager.randomNormal(new Shape(BATCH, 12, TOKENS, 32));
        NDArray k = manager.randomNormal(new Shape(BATCH, 12, TOKENS, 32));
        NDArray v = manager.randomNormal(new Shape(BATCH, 12, TOKENS, 32));
        float[] bias = new float[BATCH * TOKENS];
        for (int b = 0; b < BATCH; b++) {
            for (int t = TOKENS - random.nextInt(TOKENS / 2); t < TOKENS; t++) {
                bias[b * TOKENS + t] = -1e4f;
            }
        }
        NDArray mask = manager.create(bias, new Shape(BATCH, 1, 1, TOKENS)).duplicate();
        float scale = (float) (1 / Math.sqrt(32));
        compare("attention_call", rounds * 5, json, () -> {
            try (NDManager scope = manager.newSubManager(); GradientsOff off = GradientsOff.onThisThread()) {
                NDArray out = AttentionKernel.enabled() ? AttentionKernel.attend(q, k, v, mask, 0f, scale)
                        : Scalars.mul(q, scale).matMul(k.transpose(0, 1, 3, 2)).addi(mask).softmax(-1).matMul(v);
                out.attach(scope);
            }
        });
    }

    /** Median CPU and wall milliseconds of {@code action} with the kernel off and on, interleaved. */
    private static void compare(String name, int rounds, StringBuilder json, Runnable action) {
        double[][] cpu = new double[2][rounds];
        double[][] wall = new double[2][rounds];
        for (int round = -2; round < rounds; round++) {
            for (int slot = 0; slot < 2; slot++) {
                int variant = (slot + Math.max(round, 0)) % 2; // 0: written out, 1: kernel
                AttentionKernel.setEnabled(variant == 1);
                long startCpu = CPU.getCurrentThreadCpuTime();
                long startWall = System.nanoTime();
                action.run();
                if (round >= 0) {
                    cpu[variant][round] = (CPU.getCurrentThreadCpuTime() - startCpu) / 1e6;
                    wall[variant][round] = (System.nanoTime() - startWall) / 1e6;
                }
            }
        }
        for (double[] a : cpu) {
            Arrays.sort(a);
        }
        for (double[] a : wall) {
            Arrays.sort(a);
        }
        json.append(String.format(Locale.ROOT, ",\"%s_written_cpu_ms\":%.2f,\"%s_kernel_cpu_ms\":%.2f,"
                + "\"%s_written_wall_ms\":%.2f,\"%s_kernel_wall_ms\":%.2f", name, cpu[0][rounds / 2], name,
                cpu[1][rounds / 2], name, wall[0][rounds / 2], name, wall[1][rounds / 2]));
    }


}
