package io.github.djladapters.runtime.methods.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.engine.DropoutMask;
import io.github.djladapters.runtime.engine.EngineServices;
import io.github.djladapters.runtime.engine.Scalars;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.LinearAdapterLayer;
import io.github.djladapters.runtime.methods.AdapterRouting;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.RowArrayCache;
import io.github.djladapters.runtime.methods.PendingMerge;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * LoRA and DoRA on one linear module, with PEFT's math: {@code y = base(x) + B A dropout(x) * s};
 * with DoRA, {@code y = base(x) + (m/|W + s B A| - 1) (x W^T) + m/|W + s B A| * s B A x}, the norm
 * taken per output row and not differentiated. Merging writes {@code W + s B A} (DoRA: scaled by
 * {@code m/|W + s B A|}) into the base weight, transposed for {@code [in, out]} weights.
 *
 * <p>Without gradients and with at least as many rows as input features, the forward computes
 * {@code x (W + s B A)^T} through a weight built for that call (the base weight is never written),
 * the cheaper order for batches of sequences; otherwise it runs the low-rank branch on the input.
 * In a mixed batch the rows' own A and B are stacked and applied in one batched product; without
 * gradients and for frozen adapters the stack is kept between forwards ({@link LoRARowStack}) and
 * dropped when an adapter is added, removed, merged, unmerged or given new tensors here. Mixed batches of
 * sequences without gradients go through the engine's {@link LoRARowKernel} where there is one: one product
 * pair per run of rows on one adapter, summed into the base output in place.
 */
public final class LoRALayer extends LinearAdapterLayer<LoRAWeights> {

    private static volatile boolean reusePerRowStacks = true;
    /** {@code -Ddjladapters.lora.rowKernel=false} starts with {@link #perRowKernel} off. */
    private static volatile boolean perRowKernel = !"false".equals(System.getProperty("djladapters.lora.rowKernel"));
    /** Rows of at least this many tokens run through the engine's {@link LoRARowKernel}; shorter ones (decoding steps) batch. */
    private static final long KERNEL_MIN_TOKENS = 16;
    private static volatile boolean contiguousUpInTraining = true;

    /** The stacked per-row weights of the last mixed forward; guarded by {@code this}. */
    private LoRARowStack rowStack;

    LoRALayer(Block base, String modulePath, AdapterActivation activation) {
        super(base, modulePath, activation);
    }

    void add(String name, LoRAWeights weights) {
        putAdapter(name, weights);
    }

    /**
     * Whether mixed forwards keep each layer's stacked per-row weights for the next forward (the
     * default) or build them again every time, as a baseline for measurements. Either way the
     * output is the same.
     *
     * @param reuse true to keep them
     */
    public static void reusePerRowStacks(boolean reuse) {
        reusePerRowStacks = reuse;
    }

    /**
     * Whether mixed inference forwards on sequences use the engine's {@link LoRARowKernel} when there is
     * one (the default: one product pair per run of rows on one adapter, added to the base output in place)
     * or the batched products over gathered per-row weights: fewer engine calls, which matters where
     * other processes hold the cores (each small product's thread team then waits for a descheduled
     * thread), and a baseline for measurements. Either way the output is the same within float rounding.
     * The system property {@code djladapters.lora.rowKernel=false} sets the default to off.
     *
     * @param use true to use the kernel
     */
    public static void perRowKernel(boolean use) {
        perRowKernel = use;
    }

    /**
     * Whether a training forward on the CPU multiplies by a contiguous copy of {@code B^T} (the default) or
     * by the transposed view of {@code B}, as before; the math is the same, only which matrix products the
     * backward pass runs for {@code B}'s gradient differs (see {@link #up}). For A/B measurements.
     *
     * @param contiguous true for the contiguous copy
     */
    public static void contiguousUpInTraining(boolean contiguous) {
        contiguousUpInTraining = contiguous;
    }

    /**
     * The memory the kept per-row stack of this layer ({@link LoRARowStack}) takes once a mixed
     * forward has built it, if only {@code resident} of this layer's adapters were held: one slot per
     * frozen LoRA adapter (DoRA and gated ones are not kept) plus a zero slot for base-model rows,
     * each {@code [in, R]} plus {@code [R, out]} with {@code R} the largest rank among them. This is
     * a copy beside the adapters' own weights, for memory budgets; 0 when stacks are not kept.
     *
     * @param resident adapter names to count; other adapters of this layer are left out
     * @return bytes
     */
    public long keptRowStackBytes(java.util.Collection<String> resident) {
        if (!reusePerRowStacks) {
            return 0;
        }
        int adapters = 0;
        int rank = 0;
        int typeBytes = 0;
        for (String name : adapterNames()) {
            LoRAWeights w = adapter(name);
            if (resident.contains(name) && w.cacheable()) {
                adapters++;
                rank = Math.max(rank, w.rank());
                typeBytes = Math.max(typeBytes, w.loraA().getArray().getDataType().getNumOfBytes());
            }
        }
        return LoRARowStack.bytes(adapters, rank, linear().inFeatures(), linear().outFeatures(), typeBytes);
    }

    /** The bytes of the stack kept now, 0 when none is. */
    synchronized long builtRowStackBytes() {
        return rowStack == null ? 0 : rowStack.bytes();
    }

    @Override
    protected void adaptersChanged() {
        dropRowStack();
    }

    private synchronized void dropRowStack() {
        if (rowStack != null) {
            rowStack.close();
            rowStack = null;
        }
    }

    @Override
    protected NDList forwardOnActivations(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<LoRAWeights>> uses) {
        // Every op below starts from an input-derived array, or has its result attached to the
        // input's manager, so results belong to the caller's manager and not to the model's (where
        // they would pile up, one set per forward).
        for (AdapterUse<LoRAWeights> use : uses) {
            if (!use.adapter().frozen()) {
                use.adapter().changed(); // it may take a gradient here and an optimizer step after
            }
        }
        NDArray x = inputs.head();
        Device device = x.getDevice();
        NDArray result = base().forward(store, inputs, training, params).head();
        // DoRA reads the running result, so it must not change under it; in training too the sum can go
        // into the base product, whose backward does not read it (autograd refuses a changed saved tensor)
        boolean inPlace = uses.stream().noneMatch(use -> use.adapter().dora());
        List<AdapterUse<LoRAWeights>> perRow = new ArrayList<>();
        for (AdapterUse<LoRAWeights> use : uses) {
            LoRAWeights w = use.adapter();
            boolean dropping = training && w.dropout() > 0;
            if (use.routed() && use.rows() != null && !w.dora() && !w.gated() && !dropping) {
                perRow.add(use);
                continue;
            }
            NDArray a = store.getValue(w.loraA(), device, training);
            NDArray b = store.getValue(w.loraB(), device, training);
            NDArray input = dropping ? DropoutMask.apply(x, w.dropout()) : x;
            NDArray delta;
            if (w.dora()) {
                NDArray lora = w.maskOutputs(Linear.linear(Linear.linear(input, a).head(), b).head());
                delta = doraDelta(store, w, x, input, dropping, result, lora, a, b, training);
            } else if (w.gated()) {
                NDArray lora = w.maskOutputs(Linear.linear(Linear.linear(input, a).head(), b).head());
                delta = lora.mul(gate(store, w, x, training));
            } else {
                // the scaling goes on the r-wide intermediate, not on the output
                NDArray down = Scalars.mul(Linear.linear(input, a).head(), w.scaling());
                delta = w.maskOutputs(up(down, b, training));
            }
            result = sum(result, use.onRows(delta), inPlace);
        }
        if (!perRow.isEmpty() && !(inPlace && !training && addedPerRowInPlace(store, result, x, perRow))) {
            NDArray delta = training ? null : stackedPerRowDelta(x, perRow);
            result = sum(result, delta != null ? delta : perRowDelta(store, x, perRow, training), inPlace);
        }
        return new NDList(result);
    }

    /**
     * {@code down B^T}: the up projection. In training on the CPU through a contiguous copy of {@code B^T}
     * ({@code [r, out]}, r * out values): libtorch then computes {@code B}'s gradient as {@code (down^T g)^T}, an
     * {@code [r, rows] x [rows, out]} product, where through the transposed view it runs {@code g^T down}, an
     * {@code [out, rows] x [rows, r]} product that MKL ran slower with two threads than with one (a rank-8
     * output over 1,024 rows: too little for two threads to split well). Only for a {@code B} that takes a
     * gradient: otherwise the copy would buy nothing.
     */
    private static NDArray up(NDArray down, NDArray b, boolean training) {
        if (!training || !contiguousUpInTraining || !Device.Type.CPU.equals(down.getDevice().getDeviceType())
                || !b.hasGradient()) {
            return Linear.linear(down, b).head();
        }
        NDArray transposed = b.transpose();
        transposed.attach(down.getManager()); // a view of the parameter: keep it out of the model's manager
        NDArray upWeight = transposed.flatten().reshape(b.getShape().get(1), b.getShape().get(0)); // a copy
        return down.matMul(upWeight);
    }

    /**
     * The adapters library's LoRA gate: {@code sigmoid(x G^T + g)}, averaged over the sequence axis of
     * a {@code [B, T, in]} input, so each row gets one factor ({@code [B, 1, 1]}).
     */
    private static NDArray gate(ParameterStore store, LoRAWeights w, NDArray x, boolean training) {
        Device device = x.getDevice();
        NDArray gate = Activation.sigmoid(Linear.linear(x, store.getValue(w.gateWeight(), device, training),
                store.getValue(w.gateBias(), device, training)).head());
        return x.getShape().dimension() == 3 ? gate.mean(new int[] {1}, true) : gate;
    }

    /**
     * {@code result + delta}, in place when asked: {@code result} is then this call's own linear
     * output, which no backward pass reads, and the sum needs no buffer of its own.
     */
    private static NDArray sum(NDArray result, NDArray delta, boolean inPlace) {
        return inPlace ? result.addi(delta) : result.add(delta);
    }

    /**
     * Whether the forward folds the adapters into the weight instead of running them on the input:
     * {@code x (W + s B A)^T} costs one {@code [out, in]} sum, {@code W x + s B (A x)} an extra
     * {@code [rows, out]} sum and two thin products, so the weight wins once there are at least as
     * many rows as input features (a batch of sequences; not a decoding step). Only without
     * gradients, where the weight's gradient is never needed, and not for DoRA or per-row adapters.
     */
    @Override
    protected boolean foldsIntoWeight(long rows, List<AdapterUse<LoRAWeights>> uses) {
        for (AdapterUse<LoRAWeights> use : uses) {
            if (use.routed() || use.adapter().dora() || use.adapter().gated()) {
                return false;
            }
        }
        return rows >= linear().inFeatures();
    }

    /** {@code x (W + sum s B A)^T + b}: the unmerged result through a weight built for this call only. */
    @Override
    protected NDArray forwardThroughWeight(ParameterStore store, NDArray x, List<AdapterUse<LoRAWeights>> uses) {
        NDManager caller = x.getManager();
        Device device = x.getDevice();
        NDArray delta = null; // [out, in]
        for (AdapterUse<LoRAWeights> use : uses) {
            LoRAWeights w = use.adapter();
            NDArray a = store.getValue(w.loraA(), device, false);
            NDArray b = store.getValue(w.loraB(), device, false);
            NDArray scaledB = w.effectiveB(Scalars.mul(b, w.scaling(), caller));
            NDArray product = scaledB.matMul(a);
            delta = delta == null ? product : delta.add(product);
        }
        NDArray weight = store.getValue(linear().weight(), device, false);
        NDArray bias = linear().bias() == null ? null : store.getValue(linear().bias(), device, false);
        if (linear().fanInFanOut()) {
            return FlatLinear.projectInOut(x, delta.transpose().add(weight), bias);
        }
        return FlatLinear.project(x, delta.add(weight), bias);
    }

    /**
     * The LoRA contribution in a mixed batch: each row's own {@code A^T} and {@code s B^T} (zeros
     * for rows on the base model, ranks padded to the largest with zeros) stacked along the batch,
     * then two batched products. The cost is one adapter's, however many adapters the batch mixes.
     */
    private NDArray perRowDelta(ParameterStore store, NDArray x, List<AdapterUse<LoRAWeights>> perRow,
            boolean training) {
        NDManager caller = x.getManager();
        Device device = x.getDevice();
        Shape shape = x.getShape();
        int batch = Math.toIntExact(shape.get(0));
        long in = linear().inFeatures();
        long out = linear().outFeatures();
        int rank = perRow.stream().mapToInt(use -> use.adapter().rank()).max().orElseThrow();
        NDArray[] downs = new NDArray[batch];
        NDArray[] ups = new NDArray[batch];
        for (AdapterUse<LoRAWeights> use : perRow) {
            LoRAWeights w = use.adapter();
            NDArray down = owned(store.getValue(w.loraA(), device, training).transpose(), caller); // [in, r]
            NDArray up = w.effectiveB(Scalars.mul(store.getValue(w.loraB(), device, training), w.scaling(), caller))
                    .transpose(); // [r, out]
            if (w.rank() < rank) {
                down = down.concat(caller.zeros(new Shape(in, rank - w.rank()), x.getDataType(), device), 1);
                up = up.concat(caller.zeros(new Shape(rank - w.rank(), out), x.getDataType(), device), 0);
            }
            for (int row : use.rows()) {
                downs[row] = down;
                ups[row] = up;
            }
        }
        NDArray noDown = null;
        NDArray noUp = null;
        for (int row = 0; row < batch; row++) {
            if (downs[row] == null) {
                if (noDown == null) {
                    noDown = caller.zeros(new Shape(in, rank), x.getDataType(), device);
                    noUp = caller.zeros(new Shape(rank, out), x.getDataType(), device);
                }
                downs[row] = noDown;
                ups[row] = noUp;
            }
        }
        return applyPerRow(x, NDArrays.stack(new NDList(downs)), NDArrays.stack(new NDList(ups)));
    }

    /**
     * Each row through its own down and up projection: two batched products.
     *
     * @param x {@code [batch, ..., in]}
     * @param rowsDown {@code [batch, in, r]}
     * @param rowsUp {@code [batch, r, out]}
     * @return {@code [batch, ..., out]}
     */
    private static NDArray applyPerRow(NDArray x, NDArray rowsDown, NDArray rowsUp) {
        Shape shape = x.getShape();
        Shape outShape = shape.slice(0, shape.dimension() - 1).add(rowsUp.getShape().get(2));
        return x.reshape(shape.get(0), -1, shape.get(shape.dimension() - 1)).matMul(rowsDown).matMul(rowsUp)
                .reshape(outShape);
    }

    /**
     * {@link #perRowDelta} through this layer's kept {@link LoRARowStack}, built again only when the
     * adapters held here or their versions changed since the last mixed forward.
     *
     * @return the delta, or null when an adapter of the batch cannot be kept (trainable, DoRA, gated)
     */
    private NDArray stackedPerRowDelta(NDArray x, List<AdapterUse<LoRAWeights>> perRow) {
        if (!reusePerRowStacks) {
            return null;
        }
        for (AdapterUse<LoRAWeights> use : perRow) {
            if (!use.adapter().cacheable()) {
                return null;
            }
        }
        NDManager caller = x.getManager();
        NDList rows;
        synchronized (this) {
            LoRARowStack stack = keptStack(x.getDevice());
            long[] slots = rowSlots(stack, perRow, Math.toIntExact(x.getShape().get(0)));
            // rows routed for many forwards (decoding steps) gather once per stack, not once per forward
            RowArrayCache routed = AdapterRouting.current().map(AdapterRouting.Routing::kept).orElse(null);
            rows = routed == null ? stack.gather(caller.create(slots), caller)
                    : routed.computeIfAbsent(this, stack, own -> stack.gather(own.create(slots), own), caller);
        }
        return applyPerRow(x, rows.get(0), rows.get(1));
    }

    /**
     * The per-row products through the engine's {@link LoRARowKernel}, added to {@code result} in place:
     * on rows of at least {@value #KERNEL_MIN_TOKENS} tokens, one product pair per run of consecutive rows
     * on one adapter, on the adapters' own {@code A} and {@code B} (no stack, no gather, no batched product,
     * no delta array; base-model rows cost nothing). Only without gradients, so trainable adapters qualify
     * too: nothing is kept.
     *
     * @return false when the kernel does not apply; nothing was changed then
     */
    private boolean addedPerRowInPlace(ParameterStore store, NDArray result, NDArray x,
            List<AdapterUse<LoRAWeights>> perRow) {
        LoRARowKernel kernel = RowKernelHolder.KERNEL;
        Shape shape = x.getShape();
        long batch = shape.get(0);
        if (!perRowKernel || kernel == null || shape.dimension() < 2
                || shape.size() / (batch * shape.get(shape.dimension() - 1)) < KERNEL_MIN_TOKENS
                || !kernel.applies(result, x)) {
            return false;
        }
        Device device = x.getDevice();
        List<NDArray> downs = new ArrayList<>();
        List<NDArray> ups = new ArrayList<>();
        double[] scalings = new double[perRow.size()];
        long[] adapterOfRow = new long[Math.toIntExact(batch)];
        for (AdapterUse<LoRAWeights> use : perRow) {
            LoRAWeights w = use.adapter();
            NDArray b = store.getValue(w.loraB(), device, false);
            scalings[downs.size()] = w.scaling();
            downs.add(store.getValue(w.loraA(), device, false));
            ups.add(w.masksOutputs() ? w.effectiveB(owned(b.transpose(), x.getManager()).transpose()) : b);
            for (int row : use.rows()) {
                adapterOfRow[row] = downs.size(); // from 1; 0 stays for base-model rows
            }
        }
        long[] runs = runs(adapterOfRow);
        for (int i = 2; i < runs.length; i += 3) {
            runs[i]--; // the kernel indexes the adapters from 0
        }
        kernel.addRuns(result, x, downs, ups, scalings, runs);
        return true;
    }

    /** {@code start, end, slot} of each run of consecutive rows on one slot, rows on slot 0 (the base model) left out. */
    static long[] runs(long[] slots) {
        long[] runs = new long[3 * slots.length];
        int n = 0;
        for (int row = 0; row < slots.length; row++) {
            if (slots[row] == 0) {
                continue;
            }
            if (n > 0 && runs[n - 2] == row && runs[n - 1] == slots[row]) {
                runs[n - 2] = row + 1;
            } else {
                runs[n++] = row;
                runs[n++] = row + 1;
                runs[n++] = slots[row];
            }
        }
        return Arrays.copyOf(runs, n);
    }

    /** This layer's kept stack of its frozen adapters, built again when they changed; under {@code this}. */
    private LoRARowStack keptStack(Device device) {
        List<LoRAWeights> kept = new ArrayList<>();
        for (String name : adapterNames()) {
            LoRAWeights w = adapter(name);
            if (w.cacheable()) {
                kept.add(w);
            }
        }
        if (rowStack == null || !rowStack.holds(kept, device)) {
            dropRowStack();
            rowStack = LoRARowStack.build(kept, linear().inFeatures(), linear().outFeatures(), device);
        }
        return rowStack;
    }

    /** Each row's slot in {@code stack}: 0 for rows on the base model. */
    private static long[] rowSlots(LoRARowStack stack, List<AdapterUse<LoRAWeights>> perRow, int batch) {
        long[] slots = new long[batch];
        for (AdapterUse<LoRAWeights> use : perRow) {
            int slot = stack.slot(use.adapter());
            for (int row : use.rows()) {
                slots[row] = slot;
            }
        }
        return slots;
    }

    /** The engine's per-row kernel, looked up once; null when the engine has none. */
    private static final class RowKernelHolder {
        static final LoRARowKernel KERNEL = EngineServices.first(LoRARowKernel.class, LoRALayer.class,
                "per-row LoRA kernel");
    }

    /** Moves an array made from a parameter into the caller's manager, so that it frees with the call. */
    private static NDArray owned(NDArray array, NDManager caller) {
        array.attach(caller);
        return array;
    }

    /** PEFT's {@code DoraLinearLayer.forward}: what DoRA adds to the running result. */
    private NDArray doraDelta(ParameterStore store, LoRAWeights w, NDArray x, NDArray input, boolean dropping,
            NDArray result, NDArray lora, NDArray a, NDArray b, boolean training) {
        Device device = x.getDevice();
        NDArray weight = store.getValue(linear().weight(), device, training);
        // B A as PEFT computes it, through an identity input: [in, out], the transpose of [out, in].
        int in = Math.toIntExact(linear().inFeatures());
        NDArray eye = x.getManager().eye(in, in, 0, x.getDataType());
        NDArray loraInOut = w.maskOutputs(Linear.linear(Linear.linear(eye, a).head(), b).head());
        NDArray combined = linear().fanInFanOut() ? Scalars.mul(loraInOut, w.scaling()).add(weight)
                : Scalars.mul(loraInOut.transpose(), w.scaling()).add(weight);
        NDArray norm = combined.square().sum(new int[] {linear().fanInFanOut() ? 0 : 1}).sqrt().stopGradient();
        NDArray scale = NDArrays.div(store.getValue(w.magnitude(), device, training), norm);
        scale.attach(x.getManager()); // m / norm starts from the parameter; keep it out of the model's manager
        NDArray baseResult;
        if (dropping) {
            baseResult = linear().fanInFanOut() ? input.matMul(weight) : Linear.linear(input, weight).head();
        } else {
            // PEFT reuses the running result without the bias instead of a second matmul.
            baseResult = linear().bias() == null ? result
                    : result.sub(store.getValue(linear().bias(), device, training));
        }
        return scale.sub(1).mul(baseResult).add(Scalars.mul(scale.mul(lora), w.scaling()));
    }

    /** The L2 norm of each row of an {@code [out, in]} matrix, PEFT's {@code get_weight_norm}. */
    private static NDArray rowNorm(NDArray outIn) {
        return outIn.square().sum(new int[] {1}).sqrt();
    }

    @Override
    protected PendingMerge prepareMerge(String name, LoRAWeights w) {
        if (w.gated()) {
            throw new IllegalStateException("adapter '" + name + "' uses gating: its contribution depends on each"
                    + " input and cannot be merged into the weight of '" + modulePath() + "'; no weight was changed");
        }
        NDManager scope = linear().weight().getArray().getManager().newSubManager();
        NDArray weight = weightOutIn(scope);
        NDArray merged = weight.add(delta(scope, w));
        NDArray norm = null;
        if (w.dora()) {
            norm = rowNorm(merged);
            merged = copyInto(scope, w.magnitude().getArray()).div(norm).reshape(-1, 1).mul(merged);
        }
        NDArray stored = linear().toStorage(merged);
        NDArray weightNorm = norm;
        return new PendingMerge() {
            @Override
            public List<NDArray> newValues() {
                return List.of(stored);
            }

            @Override
            public void apply() {
                try (scope) {
                    overwrite(linear().weight(), stored);
                    if (weightNorm != null) {
                        NDArray kept = weightNorm.duplicate();
                        kept.attach(linear().weight().getArray().getManager());
                        w.setMergedWeightNorm(kept);
                    }
                }
            }

            @Override
            public void discard() {
                scope.close();
            }
        };
    }

    @Override
    protected void unmerge(String name, LoRAWeights w) {
        try (NDManager scope = linear().weight().getArray().getManager().newSubManager()) {
            NDArray weight = weightOutIn(scope);
            NDArray delta = delta(scope, w);
            if (w.dora()) {
                NDArray factor = copyInto(scope, w.magnitude().getArray())
                        .div(copyInto(scope, w.mergedWeightNorm())).reshape(-1, 1);
                weight = weight.div(factor);
                w.setMergedWeightNorm(null);
            }
            overwrite(linear().weight(), linear().toStorage(weight.sub(delta)));
        }
    }

    /** A copy of the base weight in {@code [out, in]} layout, owned by {@code scope}. */
    private NDArray weightOutIn(NDManager scope) {
        NDArray copy = copyInto(scope, linear().weight().getArray());
        return linear().fanInFanOut() ? copy.transpose() : copy;
    }

    /** {@code s B A}, {@code [out, in]}, owned by {@code scope}. */
    private static NDArray delta(NDManager scope, LoRAWeights w) {
        return w.effectiveB(copyInto(scope, w.loraB().getArray())).matMul(copyInto(scope, w.loraA().getArray()))
                .mul(w.scaling());
    }

    /** A copy owned by {@code scope}, so that the math on it frees with the scope. */
    private static NDArray copyInto(NDManager scope, NDArray array) {
        NDArray copy = array.duplicate();
        copy.attach(scope);
        return copy;
    }

    @Override
    public Map<String, NDArray> exportTensors(String name, NDManager manager) {
        LoRAWeights w = require(name);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("lora_A.weight", copyInto(manager, w.loraA().getArray()));
        // On disk B is the effective B: zero rows for untargeted fused slices, so PEFT gets the same output.
        tensors.put("lora_B.weight", w.effectiveB(copyInto(manager, w.loraB().getArray())));
        if (w.dora()) {
            tensors.put("lora_magnitude_vector", copyInto(manager, w.magnitude().getArray()));
        }
        if (w.gated()) {
            tensors.put("gate.weight", copyInto(manager, w.gateWeight().getArray()));
            tensors.put("gate.bias", copyInto(manager, w.gateBias().getArray()));
        }
        return tensors;
    }

    @Override
    public Map<String, Shape> tensorShapes(String name) {
        LoRAWeights w = require(name);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("lora_A.weight", w.loraA().getArray().getShape());
        shapes.put("lora_B.weight", w.loraB().getArray().getShape());
        if (w.dora()) {
            shapes.put("lora_magnitude_vector", w.magnitude().getArray().getShape());
        }
        if (w.gated()) {
            shapes.put("gate.weight", w.gateWeight().getArray().getShape());
            shapes.put("gate.bias", w.gateBias().getArray().getShape());
        }
        return shapes;
    }

    @Override
    public void importTensor(String name, String suffix, NDArray value) {
        LoRAWeights w = require(name);
        w.changed();
        dropRowStack();
        switch (suffix) {
            case "lora_A.weight" -> overwrite(w.loraA(), value);
            case "lora_B.weight" -> overwrite(w.loraB(), value);
            case "lora_magnitude_vector" -> overwrite(w.magnitude(), value);
            case "gate.weight" -> overwrite(w.gateWeight(), value);
            case "gate.bias" -> overwrite(w.gateBias(), value);
            default -> throw new IllegalArgumentException("module '" + modulePath() + "' has no LoRA tensor " + suffix);
        }
    }
}
