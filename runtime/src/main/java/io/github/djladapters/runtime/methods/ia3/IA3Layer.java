package io.github.djladapters.runtime.methods.ia3;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.LinearAdapterLayer;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.PendingMerge;
import io.github.djladapters.runtime.engine.WeightsSnapshot;
import io.github.djladapters.runtime.engine.GradientRecording;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.github.djladapters.runtime.architecture.FlatLinear;

/**
 * IA3 on one linear module, with PEFT's math: {@code y = base(x) * l} (bias included), or for a
 * feed-forward module {@code y = base(x * l)}. Merging scales the weight's output rows (and the
 * bias) or its input columns by {@code l}; unmerging divides by {@code l + 1e-8}, as PEFT does.
 * Without gradients and for batches of many rows (whole sequences, not a decoding step), the
 * forward scales a copy of the weight for that call instead of the activations, the cheaper order.
 */
public final class IA3Layer extends LinearAdapterLayer<IA3Weights> {

    private static final float UNMERGE_EPS = 1e-8f;

    /** The most adapter sets whose scaled weights are kept at once. */
    private static final int FOLDED_SETS = 2;

    private final List<FoldedWeight> folded = new ArrayList<>();
    IA3Layer(Block base, String modulePath, AdapterActivation activation) {
        super(base, modulePath, activation);
    }

    void add(String name, IA3Weights weights) {
        putAdapter(name, weights);
    }

    @Override
    protected NDList forwardOnActivations(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<IA3Weights>> uses) {
        if (training) {
            releaseFolded(); // an optimizer may change the vectors in place after this forward
        }
        NDArray x = inputs.head();
        Device device = x.getDevice();
        for (AdapterUse<IA3Weights> use : uses) {
            if (use.adapter().feedforward()) {
                x = scaled(x, flat(store.getValue(use.adapter().scale(), device, training), x), use);
            }
        }
        NDList shifted = new NDList(x);
        for (int i = 1; i < inputs.size(); i++) {
            shifted.add(inputs.get(i));
        }
        NDArray result = base().forward(store, shifted, training, params).head();
        for (AdapterUse<IA3Weights> use : uses) {
            if (!use.adapter().feedforward()) {
                result = scaled(result, flat(store.getValue(use.adapter().scale(), device, training), result), use);
            }
        }
        return new NDList(result);
    }

    /**
     * Whether the forward scales the weight instead of the activations: scaling {@code [out, in]}
     * once beats scaling {@code [rows, out]} outputs once there are at least {@code in} rows, and
     * {@code [rows, in]} inputs once there are at least {@code out} rows (a batch of sequences; not
     * a decoding step). Only without gradients and not for per-row adapters.
     */
    @Override
    protected boolean foldsIntoWeight(long rows, List<AdapterUse<IA3Weights>> uses) {
        for (AdapterUse<IA3Weights> use : uses) {
            long enough = use.adapter().feedforward() ? linear().outFeatures() : linear().inFeatures();
            if (use.routed() || rows < enough) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code x (l_out W l_in)^T + l_out b}: the unmerged result through a scaled copy of the weight,
     * kept for the next calls while the adapters, their vectors and the base weight stay the same
     * (see {@link FoldedWeight}).
     */
    @Override
    protected NDArray forwardThroughWeight(ParameterStore store, NDArray x, List<AdapterUse<IA3Weights>> uses) {
        Device device = x.getDevice();
        NDArray weight = store.getValue(linear().weight(), device, false);
        NDArray bias = linear().bias() == null ? null : store.getValue(linear().bias(), device, false);
        List<Object> sources = new ArrayList<>();
        sources.add(weight);
        sources.add(bias);
        for (AdapterUse<IA3Weights> use : uses) {
            sources.add(use.adapter());
            sources.add(store.getValue(use.adapter().scale(), device, false));
        }
        NDArray[] scaled;
        if (recordsGradient(sources)) {
            // with a graph: freed with x's manager
            scaled = scale(x.getManager(), weight, bias, uses, store, device);
        } else {
            scaled = kept(sources);
            if (scaled == null) {
                WeightsSnapshot snapshot = WeightsSnapshot.of(sources);
                try (NDManager scope = x.getManager().newSubManager()) { // frees the steps' arrays now
                    scaled = scale(scope, weight, bias, uses, store, device);
                    if (!keep(snapshot, scaled, bias)) {
                        attach(scaled, bias, x.getManager());
                    }
                }
            }
        }
        // [out, in] storage: output features are rows; [in, out] (fan_in_fan_out): columns
        return linear().fanInFanOut() ? FlatLinear.projectInOut(x, scaled[0], scaled[1])
                : FlatLinear.project(x, scaled[0], scaled[1]);
    }

    /**
     * Whether scaling these arrays now would record a gradient: one of them is trainable and autograd
     * is on for this thread. Kept weights have no graph, so such a call scales again.
     */
    private static boolean recordsGradient(List<Object> sources) {
        for (Object source : sources) {
            if (source instanceof NDArray array && array.hasGradient()) {
                return GradientRecording.on();
            }
        }
        return false;
    }

    /** {@code l_out W l_in} and {@code l_out b} (or {@code b}), new arrays in {@code scope} but the unscaled bias. */
    private NDArray[] scale(NDManager scope, NDArray weight, NDArray bias, List<AdapterUse<IA3Weights>> uses,
            ParameterStore store, Device device) {
        NDArray outScale = null;
        NDArray inScale = null;
        for (AdapterUse<IA3Weights> use : uses) {
            IA3Weights w = use.adapter();
            NDArray l = flat(store.getValue(w.scale(), device, false), scope);
            l = w.masked() ? w.maskOutputs(l.sub(1)).add(1) : l;
            if (w.feedforward()) {
                inScale = inScale == null ? l : inScale.mul(l);
            } else {
                outScale = outScale == null ? l : outScale.mul(l);
            }
        }
        boolean inOut = linear().fanInFanOut();
        NDArray scaled = null;
        if (outScale != null) {
            scaled = (inOut ? outScale.reshape(1, -1) : outScale.reshape(-1, 1)).mul(weight);
        }
        if (inScale != null) {
            NDArray column = inOut ? inScale.reshape(-1, 1) : inScale.reshape(1, -1);
            scaled = scaled == null ? column.mul(weight) : scaled.mul(column);
        }
        return new NDArray[] {scaled, bias != null && outScale != null ? outScale.mul(bias) : bias};
    }

    /**
     * A weight (and bias) scaled for one set of adapters, with what it was computed from: the base
     * weight and bias, each adapter's weights and vector ({@link WeightsSnapshot}: identity, native
     * handles and the count of in-place storage swaps by loads and merges). Kept only when the scaled
     * weight records no gradient, and dropped on every training forward, after which an optimizer may
     * change a vector in place. Its memory is one weight per IA3 module (25 MB for PEFT's BERT targets
     * on all-MiniLM-L6-v2), in a sub-manager of the base weight's manager.
     */
    private record FoldedWeight(WeightsSnapshot snapshot, NDManager manager, NDArray[] scaled) {}

    private synchronized NDArray[] kept(List<Object> sources) {
        for (FoldedWeight entry : folded) {
            if (entry.snapshot().stillHolds(sources)) {
                return entry.scaled();
            }
        }
        return null;
    }

    /**
     * Keeps {@code scaled} (made at {@code snapshot}) for the next calls in a manager of its own,
     * unless two sets are kept already (threads with other active adapters); a kept set is never freed
     * while another thread may read it, only when the values it came from changed (loads and merges,
     * which hold the model's write lock) or a training forward runs.
     *
     * @return whether it is kept; if not, the caller still owns it
     */
    private synchronized boolean keep(WeightsSnapshot snapshot, NDArray[] scaled, NDArray bias) {
        if (!folded.isEmpty() && !folded.get(0).snapshot().noSwapsSince()) {
            releaseFolded();
        }
        if (folded.size() >= FOLDED_SETS) {
            return false;
        }
        NDManager manager = linear().weight().getArray().getManager().newSubManager();
        attach(scaled, bias, manager);
        folded.add(new FoldedWeight(snapshot, manager, scaled));
        return true;
    }

    /** Moves the scaled weight, and the bias when it is a scaled copy, to {@code owner}. */
    private static void attach(NDArray[] scaled, NDArray bias, NDManager owner) {
        scaled[0].attach(owner);
        if (scaled[1] != null && scaled[1] != bias) {
            scaled[1].attach(owner);
        }
    }

    /** Frees the kept scaled weights; the next call without gradients scales again. */
    private synchronized void releaseFolded() {
        for (FoldedWeight entry : folded) {
            entry.manager().close();
        }
        folded.clear();
    }

    /** {@code l} as a vector owned by the manager of {@code like}, not by the model's. */
    private static NDArray flat(NDArray l, NDArray like) {
        return flat(l, like.getManager());
    }

    /** {@code l} as a vector owned by {@code manager}, not by the model's. */
    private static NDArray flat(NDArray l, NDManager manager) {
        NDArray flat = l.flatten();
        flat.attach(manager);
        return flat;
    }

    /** {@code t * l} on the adapter's rows and features, {@code t} elsewhere; ops start from {@code t}. */
    private static NDArray scaled(NDArray t, NDArray l, AdapterUse<IA3Weights> use) {
        if (!use.routed() && !use.adapter().masked()) {
            return t.mul(l);
        }
        return t.add(use.onRows(use.adapter().maskOutputs(t.mul(l).sub(t))));
    }

    @Override
    protected PendingMerge prepareMerge(String name, IA3Weights w) {
        NDManager scope = linear().weight().getArray().getManager().newSubManager();
        NDArray l = effectiveScale(scope, w);
        NDArray weight = weightOutIn(scope);
        NDArray newWeight = linear().toStorage(w.feedforward() ? weight.mul(l.reshape(1, -1)) : weight.mul(l.reshape(-1, 1)));
        List<NDArray> values = new ArrayList<>(List.of(newWeight));
        Parameter bias = w.feedforward() ? null : linear().bias();
        if (bias != null) {
            values.add(copyInto(scope, bias.getArray()).mul(l));
        }
        return new PendingMerge() {
            @Override
            public List<NDArray> newValues() {
                return values;
            }

            @Override
            public void apply() {
                try (scope) {
                    overwrite(linear().weight(), newWeight);
                    if (bias != null) {
                        overwrite(bias, values.get(1));
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
    protected void unmerge(String name, IA3Weights w) {
        try (NDManager scope = linear().weight().getArray().getManager().newSubManager()) {
            NDArray l = effectiveScale(scope, w).add(UNMERGE_EPS);
            NDArray weight = weightOutIn(scope);
            overwrite(linear().weight(), linear().toStorage(
                    w.feedforward() ? weight.div(l.reshape(1, -1)) : weight.div(l.reshape(-1, 1))));
            if (!w.feedforward() && linear().bias() != null) {
                overwrite(linear().bias(), copyInto(scope, linear().bias().getArray()).div(l));
            }
        }
    }

    /** {@code l} flattened, with 1 on untargeted fused features, owned by {@code scope}. */
    private static NDArray effectiveScale(NDManager scope, IA3Weights w) {
        NDArray l = copyInto(scope, w.scale().getArray()).flatten();
        return w.masked() ? w.maskOutputs(l.sub(1)).add(1) : l;
    }

    private NDArray weightOutIn(NDManager scope) {
        NDArray copy = copyInto(scope, linear().weight().getArray());
        return linear().fanInFanOut() ? copy.transpose() : copy;
    }

    private static NDArray copyInto(NDManager scope, NDArray array) {
        NDArray copy = array.duplicate();
        copy.attach(scope);
        return copy;
    }

    @Override
    public Map<String, NDArray> exportTensors(String name, NDManager manager) {
        IA3Weights w = require(name);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("ia3_l", copyInto(manager, w.scale().getArray()));
        return tensors;
    }

    @Override
    public Map<String, Shape> tensorShapes(String name) {
        return Map.of("ia3_l", require(name).scale().getArray().getShape());
    }

    @Override
    public void importTensor(String name, String suffix, NDArray value) {
        if (!"ia3_l".equals(suffix)) {
            throw new IllegalArgumentException("module '" + modulePath() + "' has no IA3 tensor " + suffix);
        }
        overwrite(require(name).scale(), value);
    }
}
