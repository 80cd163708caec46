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
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.LinearBase;
import io.github.djladapters.runtime.methods.PendingMerge;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA and DoRA on one linear module, with PEFT's math: {@code y = base(x) + B A dropout(x) * s};
 * with DoRA, {@code y = base(x) + (m/|W + s B A| - 1) (x W^T) + m/|W + s B A| * s B A x}, the norm
 * taken per output row and not differentiated. Merging writes {@code W + s B A} (DoRA: scaled by
 * {@code m/|W + s B A|}) into the base weight, transposed for {@code [in, out]} weights.
 */
public final class LoRALayer extends AdapterLayer<LoRAWeights> {

    private final LinearBase linear;

    LoRALayer(Block base, String modulePath, AdapterActivation activation) {
        super(base, modulePath, activation);
        this.linear = LinearBase.of(base, modulePath);
    }

    /**
     * The weights of the wrapped projection.
     *
     * @return the base weight and bias
     */
    public LinearBase linear() {
        return linear;
    }

    void add(String name, LoRAWeights weights) {
        putAdapter(name, weights);
    }

    @Override
    protected NDList forwardWith(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params, List<AdapterUse<LoRAWeights>> uses) {
        // Every op below starts from an input-derived array, so results belong to the caller's
        // manager and not to the model's (where they would pile up, one set per forward).
        NDArray x = inputs.head();
        Device device = x.getDevice();
        NDArray result = base().forward(store, inputs, training, params).head();
        for (AdapterUse<LoRAWeights> use : uses) {
            LoRAWeights w = use.adapter();
            NDArray a = store.getValue(w.loraA(), device, training);
            NDArray b = store.getValue(w.loraB(), device, training);
            boolean dropping = training && w.dropout() > 0;
            NDArray input = dropping ? Dropout.dropout(x, w.dropout(), true).head() : x;
            NDArray lora = w.maskOutputs(Linear.linear(Linear.linear(input, a).head(), b).head());
            NDArray delta = w.dora() ? doraDelta(store, w, x, input, dropping, result, lora, a, b, training)
                    : w.gated() ? lora.mul(gate(store, w, x, training)) : lora.mul(w.scaling());
            result = result.add(use.onRows(delta));
        }
        return new NDList(result);
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

    /** PEFT's {@code DoraLinearLayer.forward}: what DoRA adds to the running result. */
    private NDArray doraDelta(ParameterStore store, LoRAWeights w, NDArray x, NDArray input, boolean dropping,
            NDArray result, NDArray lora, NDArray a, NDArray b, boolean training) {
        Device device = x.getDevice();
        NDArray weight = store.getValue(linear.weight(), device, training);
        // B A as PEFT computes it, through an identity input: [in, out], the transpose of [out, in].
        int in = Math.toIntExact(linear.inFeatures());
        NDArray eye = x.getManager().eye(in, in, 0, x.getDataType());
        NDArray loraInOut = w.maskOutputs(Linear.linear(Linear.linear(eye, a).head(), b).head());
        NDArray combined = linear.fanInFanOut() ? loraInOut.mul(w.scaling()).add(weight)
                : loraInOut.transpose().mul(w.scaling()).add(weight);
        NDArray norm = combined.square().sum(new int[] {linear.fanInFanOut() ? 0 : 1}).sqrt().stopGradient();
        NDArray scale = NDArrays.div(store.getValue(w.magnitude(), device, training), norm);
        scale.attach(x.getManager()); // m / norm starts from the parameter; keep it out of the model's manager
        NDArray baseResult;
        if (dropping) {
            baseResult = linear.fanInFanOut() ? input.matMul(weight) : Linear.linear(input, weight).head();
        } else {
            // PEFT reuses the running result without the bias instead of a second matmul.
            baseResult = linear.bias() == null ? result
                    : result.sub(store.getValue(linear.bias(), device, training));
        }
        return scale.sub(1).mul(baseResult).add(scale.mul(lora).mul(w.scaling()));
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
        NDManager scope = linear.weight().getArray().getManager().newSubManager();
        NDArray weight = weightOutIn(scope);
        NDArray merged = weight.add(delta(scope, w));
        NDArray norm = null;
        if (w.dora()) {
            norm = rowNorm(merged);
            merged = copyInto(scope, w.magnitude().getArray()).div(norm).reshape(-1, 1).mul(merged);
        }
        NDArray stored = linear.toStorage(merged);
        NDArray weightNorm = norm;
        return new PendingMerge() {
            @Override
            public List<NDArray> newValues() {
                return List.of(stored);
            }

            @Override
            public void apply() {
                try (scope) {
                    overwrite(linear.weight(), stored);
                    if (weightNorm != null) {
                        NDArray kept = weightNorm.duplicate();
                        kept.attach(linear.weight().getArray().getManager());
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
        try (NDManager scope = linear.weight().getArray().getManager().newSubManager()) {
            NDArray weight = weightOutIn(scope);
            NDArray delta = delta(scope, w);
            if (w.dora()) {
                NDArray factor = copyInto(scope, w.magnitude().getArray())
                        .div(copyInto(scope, w.mergedWeightNorm())).reshape(-1, 1);
                weight = weight.div(factor);
                w.setMergedWeightNorm(null);
            }
            overwrite(linear.weight(), linear.toStorage(weight.sub(delta)));
        }
    }

    /** A copy of the base weight in {@code [out, in]} layout, owned by {@code scope}. */
    private NDArray weightOutIn(NDManager scope) {
        NDArray copy = copyInto(scope, linear.weight().getArray());
        return linear.fanInFanOut() ? copy.transpose() : copy;
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
