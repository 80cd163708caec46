package io.github.djladapters.models.llama;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.models.blocks.Embedding;
import io.github.djladapters.models.blocks.RmsNorm;
import io.github.djladapters.models.generation.KeyValueCache;
import io.github.djladapters.models.kernels.TorchKernels;
import io.github.djladapters.runtime.architecture.FlatLinear;
import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.engine.WeightsSnapshot;
import io.github.djladapters.runtime.methods.AdapterLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One cached generation step of a Llama-family model (Llama, Mistral, Qwen2) in a single call of the
 * TorchScript kernels module ({@code llama_decode} in {@code kernels.torchscript.py}): token lookup,
 * per layer RMSNorm, the q/k/v products (with their biases where the model has them), rotary
 * embeddings, the in-place write of the new keys and values into the preallocated
 * {@link KeyValueCache}, grouped-query attention under the padding (and, for a prompt, causal) mask
 * in {@code scaled_dot_product_attention}, the output product and residual, the SiLU-gated MLP and
 * residual, then the final norm and the head on the last position only. The same math, in the same
 * order, as the block-by-block forward (which normalises every position before keeping the last), so
 * the logits are the same numbers up to rounding. One formulation differs where libtorch 2.7.1 is faster
 * with it: grouped-query attention folds each key/value head's query heads into query rows of one
 * {@code scaled_dot_product_attention} call (its {@code enable_gqa} path costs several times more).
 * What the call saves is about
 * 850 engine calls per token through DJL's JNI (each 5 - 12 us) against ops run by TorchScript's
 * interpreter (1 - 3 us).
 *
 * <p>Where it runs: {@link LlamaForCausalLM#logits} with a preallocated cache, asking for the last
 * position only (what {@link io.github.djladapters.models.generation.Generator} does, for the prompt
 * and for every new token), outside training with the thread's autograd off, on the CPU, with float32
 * weights, when the switch is on ({@value #PROPERTY}, on by default) and {@link TorchKernels#available()},
 * and the model computes exactly the plain Llama forward: every projection, norm and the token table
 * are the model's own blocks, or adapter wrappers through which no adapter applies now (merged,
 * inactive or disabled adapters: {@link AdapterLayer#runsBaseOnly()}), and no prefix, adaption prompt,
 * prompt tuning / input extension or output-embeddings hook is installed. Everything else (an active
 * unmerged LoRA, IA3, bottleneck or ReFT, prefix tuning, adaption prompts, prompt tuning, training,
 * the growing cache of {@code DecodingBatch}, a forward without cache) runs the blocks as before.
 *
 * <p>The weights go to TorchScript as lists of tensors built once and kept between steps; before each
 * step the parameters' current arrays are compared with those the lists hold ({@link WeightsSnapshot}:
 * object, native handle, and no storage swapped anywhere since), so a checkpoint load, a merge or
 * unmerge (which swap the arrays' storage), a device move or an adapter wrapper coming or going
 * rebuilds them; updates in place (an optimizer step) are seen as they are, since the lists share the
 * tensors.
 *
 * <p>Concurrent generations on one model run their steps at the same time: only choosing (or
 * rebuilding) the weight lists takes a lock; lists replaced while another thread's step still uses
 * them are freed when that step ends.
 */
public final class LlamaDecodeStep implements AutoCloseable {

    /** The system property that, set to {@code false}, keeps decoding block by block. */
    public static final String PROPERTY = "djladapters.decode.kernel";

    private static volatile boolean enabled = !"false".equals(System.getProperty(PROPERTY));

    private final LlamaForCausalLM owner;
    /** Guards {@link #weights} and the use counts of every {@link Weights}. */
    private final Object lock = new Object();
    private Weights weights;
    /** How many weight lists were built; guarded by {@link #lock}. */
    private long builds;
    private final AtomicLong steps = new AtomicLong();

    LlamaDecodeStep(LlamaForCausalLM owner) {
        this.owner = owner;
    }

    /**
     * Whether the fused step is switched on (it still runs only where the class comment says).
     *
     * @return the switch
     */
    public static boolean enabled() {
        return enabled;
    }

    /**
     * Switches the fused decode step on or off for the whole process, for tests and A/B measurements.
     *
     * @param on true for the fused step, false for the block-by-block forward
     */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /** How many steps ran fused since the model was built. */
    long steps() {
        return steps.get();
    }

    /**
     * The logits of the last position after running {@code ids} through the model, or {@code null}
     * when the fused step does not apply (the caller then runs the blocks).
     *
     * @param ids the new tokens {@code [B, T]}
     * @param mask the padding mask of all positions so far {@code [B, P + T]}
     * @param positions the new tokens' position ids {@code [B, T]}
     * @param cache a preallocated cache holding the {@code P} earlier positions
     * @return {@code [B, 1, vocab]}, owned by the manager of {@code ids}, or null
     */
    NDArray logits(NDArray ids, NDArray mask, NDArray positions, KeyValueCache cache) {
        if (!enabled || cache == null || !cache.preallocated() || !TorchKernels.available()
                || !ids.getDevice().equals(Device.cpu()) || JniUtils.isGradMode()) {
            return null;
        }
        long batch = ids.getShape().get(0);
        long length = ids.getShape().get(1);
        long start = cache.length();
        if (mask.getShape().get(1) != start + length || positions.getShape().get(1) != length) {
            return null;
        }
        Plan plan = plainParameters();
        if (plan == null) {
            return null;
        }
        Weights current = acquire(plan);
        if (current == null) {
            return null;
        }
        try {
            return run(ids, mask, positions, cache, current, batch, length, start);
        } finally {
            release(current);
        }
    }

    /** Runs {@code llama_decode} on weight lists the caller holds. */
    private NDArray run(NDArray ids, NDArray mask, NDArray positions, KeyValueCache cache, Weights current,
            long batch, long length, long start) {
        LlamaConfig config = owner.config();
        NDArray[] buffers = cache.buffers(new Shape(batch, config.numKeyValueHeads(), length, config.headDim()),
                DataType.FLOAT32, ids.getDevice(), start + length);
        int layers = config.numHiddenLayers();
        PtNDArray[] keys = new PtNDArray[layers];
        PtNDArray[] values = new PtNDArray[layers];
        for (int i = 0; i < layers; i++) {
            keys[i] = (PtNDArray) buffers[i];
            values[i] = (PtNDArray) buffers[layers + i];
        }
        IValue[] perStep = {TorchKernels.tensor(ids), TorchKernels.tensor(mask.toType(DataType.INT64, false)),
            TorchKernels.tensor(positions.toType(DataType.INT64, false)), IValue.from(start), IValue.listFrom(keys),
            IValue.listFrom(values), IValue.from((long) config.numAttentionHeads()),
            IValue.from((long) config.numKeyValueHeads()), IValue.from((double) (float) config.rmsNormEps()),
            IValue.from((double) (float) (1 / Math.sqrt(config.headDim())))};
        NDArray logits;
        try (IValue result = TorchKernels.on(ids.getDevice()).call("llama_decode", perStep[0], perStep[1],
                perStep[2], perStep[3], current.inverseFrequencies, current.weights, current.qkvBias, current.oBias,
                current.mlpBias, current.finalNorm, current.head, perStep[4], perStep[5], perStep[6], perStep[7],
                perStep[8], perStep[9])) {
            logits = result.toTensor((PtNDManager) ids.getManager());
        } finally {
            for (IValue value : perStep) {
                value.close();
            }
        }
        cache.filledTo(start + length);
        steps.incrementAndGet();
        return logits;
    }

    /**
     * The parameters the fused step reads, in its order (token table; per layer the attention norm,
     * q, k, v, o, the MLP norm, gate, up, down; q/k/v biases; o biases; MLP biases; final norm; head),
     * or {@code null} when the model is not the plain forward now.
     */
    private Plan plainParameters() {
        if (owner.outputEmbeddingsInput().isPresent()) {
            return null;
        }
        LlamaModel model = owner.model;
        if (model.inputExtension().isPresent() || plain(model.embed_tokens) != model.tokenTable()) {
            return null;
        }
        Embedding table = model.tokenTable();
        if (table.weight().getArray().getDataType() != DataType.FLOAT32) {
            return null;
        }
        List<Parameter> main = new ArrayList<>();
        List<Parameter> qkvBias = new ArrayList<>();
        List<Parameter> oBias = new ArrayList<>();
        List<Parameter> mlpBias = new ArrayList<>();
        main.add(table.weight());
        for (Object element : model.layers) {
            if (!(plain((Block) element) instanceof LlamaDecoderLayer layer)
                    || !(plain(layer.input_layernorm) instanceof RmsNorm attentionNorm)
                    || !(plain(layer.post_attention_layernorm) instanceof RmsNorm mlpNorm)
                    || !(plain(layer.mlp) instanceof LlamaMLP mlp)) {
                return null;
            }
            LlamaAttention attention = layer.self_attn;
            if (attention.keyValueExtension().isPresent()) {
                return null;
            }
            FlatLinear[] projections = {linear(attention.q_proj), linear(attention.k_proj), linear(attention.v_proj),
                linear(attention.o_proj), linear(mlp.gate_proj), linear(mlp.up_proj), linear(mlp.down_proj)};
            for (FlatLinear projection : projections) {
                if (projection == null) {
                    return null;
                }
            }
            main.add(attentionNorm.weight());
            for (int i = 0; i < 4; i++) {
                main.add(projections[i].weight());
            }
            main.add(mlpNorm.weight());
            for (int i = 4; i < 7; i++) {
                main.add(projections[i].weight());
            }
            if (!biases(projections, 0, 3, qkvBias) || !biases(projections, 3, 4, oBias)
                    || !biases(projections, 4, 7, mlpBias)) {
                return null;
            }
        }
        if (!(plain(model.norm) instanceof RmsNorm finalNorm)) {
            return null;
        }
        Parameter head;
        if (owner.lm_head == null) {
            head = table.weight();
        } else {
            FlatLinear lmHead = linear(owner.lm_head);
            if (lmHead == null || lmHead.bias() != null) {
                return null;
            }
            head = lmHead.weight();
        }
        List<Parameter> all = new ArrayList<>(main);
        all.addAll(qkvBias);
        all.addAll(oBias);
        all.addAll(mlpBias);
        all.add(finalNorm.weight());
        all.add(head);
        return new Plan(all, new int[] {main.size(), qkvBias.size(), oBias.size(), mlpBias.size()});
    }

    /**
     * The parameters of a fused step in order, and how many of them go into each list: the main
     * weights, the q/k/v biases, the o biases, the MLP biases (then the final norm and the head).
     */
    private record Plan(List<Parameter> parameters, int[] lists) {}

    /**
     * Adds the biases of {@code projections[from, to)}; false when some have one and others not (the
     * fused step takes all or none per group).
     */
    private static boolean biases(FlatLinear[] projections, int from, int to, List<Parameter> into) {
        int present = 0;
        for (int i = from; i < to; i++) {
            if (projections[i].bias() != null) {
                present++;
            }
        }
        if (present != 0 && present != to - from) {
            return false;
        }
        for (int i = from; i < to && present > 0; i++) {
            into.add(projections[i].bias());
        }
        return true;
    }

    /** The block a forward runs now: through adapter wrappers that apply nothing, to the wrapped block. */
    private static Block plain(Block block) {
        Block current = block;
        while (current instanceof AdapterLayer<?> wrapper && wrapper.runsBaseOnly()) {
            current = wrapper.base();
        }
        return current;
    }

    /** The projection a forward runs now when it is exactly a {@link FlatLinear}, else null. */
    private static FlatLinear linear(Block block) {
        Block current = plain(block);
        return current != null && current.getClass() == FlatLinear.class ? (FlatLinear) current : null;
    }

    /**
     * The weight lists for these parameters, counted as in use until {@link #release}: the kept ones
     * while the arrays are the same, else new ones (the old ones are freed once no step uses them).
     */
    private Weights acquire(Plan plan) {
        List<Parameter> parameters = plan.parameters();
        NDArray[] arrays = new NDArray[parameters.size()];
        for (int i = 0; i < arrays.length; i++) {
            NDArray array = parameters.get(i).getArray();
            if (!(array instanceof PtNDArray) || !array.getDevice().equals(Device.cpu())
                    || array.getDataType() != DataType.FLOAT32) {
                return null;
            }
            arrays[i] = array;
        }
        synchronized (lock) {
            if (weights == null || weights.closed || !weights.holds(arrays, plan.lists())) {
                if (weights != null) {
                    weights.retire();
                }
                weights = new Weights(owner, arrays, plan.lists());
                builds++;
            }
            weights.users++;
            return weights;
        }
    }

    /** How many times a fused step built weight lists (the first step, then after each change of the arrays). */
    long weightListBuilds() {
        synchronized (lock) {
            return builds;
        }
    }

    /** Whether weight lists are kept now: built by a fused step and not freed since. */
    boolean keepsWeights() {
        synchronized (lock) {
            return weights != null && !weights.closed;
        }
    }

    /** Ends one step's use of {@code used}, freeing it if it was replaced meanwhile and this was its last step. */
    private void release(Weights used) {
        synchronized (lock) {
            used.users--;
            if (used.retired && used.users == 0) {
                used.close();
            }
        }
    }

    /** Frees the kept weight lists (the model's arrays stay), after the steps that use them end. */
    @Override
    public void close() {
        synchronized (lock) {
            if (weights != null) {
                weights.retire();
                weights = null;
            }
        }
    }

    /** The weight lists of one set of parameter arrays, with what identifies those arrays. */
    private static final class Weights implements AutoCloseable {

        private final WeightsSnapshot snapshot;
        private final int[] lists;
        private final NDManager manager;
        private final IValue inverseFrequencies;
        private final IValue weights;
        private final IValue qkvBias;
        private final IValue oBias;
        private final IValue mlpBias;
        private final IValue finalNorm;
        private final IValue head;
        private volatile boolean closed;
        /** Steps running on these lists; guarded by the step's lock. */
        private int users;
        /** Replaced or dropped: freed when {@link #users} reaches 0; guarded by the step's lock. */
        private boolean retired;

        Weights(LlamaForCausalLM owner, NDArray[] arrays, int[] lists) {
            snapshot = WeightsSnapshot.of((Object[]) arrays);
            this.lists = lists.clone();
            int at = 0;
            weights = list(arrays, at, at += lists[0]);
            qkvBias = list(arrays, at, at += lists[1]);
            oBias = list(arrays, at, at += lists[2]);
            mlpBias = list(arrays, at, at += lists[3]);
            finalNorm = IValue.from((PtNDArray) arrays[at]);
            head = IValue.from((PtNDArray) arrays[at + 1]);
            manager = arrays[0].getManager().newSubManager();
            // the lists hold the weights' tensors: they go when the model's manager closes, not later
            manager.attachInternal("llama-decode-weights-" + System.identityHashCode(this), this);
            NDArray frequencies = ArrayValues.owned(manager.create(owner.model.rotary().inverseFrequencies()));
            inverseFrequencies = IValue.from((PtNDArray) frequencies);
        }

        private static IValue list(NDArray[] arrays, int from, int to) {
            PtNDArray[] part = new PtNDArray[to - from];
            for (int i = from; i < to; i++) {
                part[i - from] = (PtNDArray) arrays[i];
            }
            return IValue.listFrom(part);
        }

        boolean holds(NDArray[] current, int[] currentLists) {
            return Arrays.equals(currentLists, lists) && snapshot.stillHolds((Object[]) current);
        }

        /** Called under the step's lock: frees the lists now, or when the last step using them ends. */
        void retire() {
            retired = true;
            if (users == 0) {
                close();
            }
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            for (IValue value : new IValue[] {inverseFrequencies, weights, qkvBias, oBias, mlpBias, finalNorm, head}) {
                value.close();
            }
            manager.close();
        }
    }
}
