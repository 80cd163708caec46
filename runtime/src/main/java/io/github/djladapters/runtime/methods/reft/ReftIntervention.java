package io.github.djladapters.runtime.methods.reft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import io.github.djladapters.runtime.methods.AdapterUse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Adapters library's {@code ReftModule} on {@code [batch, seq, hidden]} hidden states: unit 0 on
 * the first {@code prefix_positions} positions, unit 1 (unit 0 when tied) on the last
 * {@code suffix_positions}, the suffix winning where they overlap; other positions unchanged. Each
 * unit is position-wise: {@code dropout(h + (act(h W^T + b) - h R^T) R)}.
 */
final class ReftIntervention {

    /** The {@code non_linearity} values understood; null means none. */
    static final Set<String> ACTIVATIONS = Set.of("linear", "identity", "relu", "tanh", "sigmoid", "gelu", "silu",
            "swish");

    private ReftIntervention() {}

    /** The states after one adapter: {@code h} plus its change on its positions (and rows). */
    static NDArray apply(ReftWeights weights, NDArray h, boolean training, AdapterUse<ReftWeights> use) {
        ReftConfig config = weights.config;
        int seq = Math.toIntExact(h.getShape().get(1));
        float[] prefix = new float[seq];
        float[] suffix = new float[seq];
        for (int i = 0; i < Math.min(config.prefixPositions(), seq); i++) {
            prefix[i] = 1;
        }
        for (int i = Math.max(0, seq - config.suffixPositions()); i < seq; i++) {
            suffix[i] = 1;
            prefix[i] = 0; // scattered after the prefix, as in the library
        }
        NDManager caller = h.getManager();
        NDArray delta = null;
        if (config.tiedWeights()) {
            float[] both = new float[seq];
            for (int i = 0; i < seq; i++) {
                both[i] = prefix[i] + suffix[i];
            }
            delta = change(weights.units.get(0), config, h, both, training);
        } else {
            delta = sum(change(weights.units.get(0), config, h, prefix, training),
                    change(weights.units.get(1), config, h, suffix, training));
        }
        return delta == null ? h : h.add(use.onRows(delta));
    }

    private static NDArray sum(NDArray a, NDArray b) {
        return a == null ? b : b == null ? a : a.add(b);
    }

    /** {@code mask * (unit(h) - h)}, or null when the mask selects nothing. */
    private static NDArray change(ReftWeights.Unit unit, ReftConfig config, NDArray h, float[] mask, boolean training) {
        boolean any = false;
        for (float m : mask) {
            any |= m != 0;
        }
        if (!any) {
            return null;
        }
        NDManager caller = h.getManager();
        NDArray positions = caller.create(mask, new Shape(1, mask.length, 1)).toType(h.getDataType(), false);
        return unit(unit, config, h, training).sub(h).mul(positions);
    }

    /** One unit on every position: {@code dropout(h + (act(h W^T + b) - h R^T) R)}. */
    static NDArray unit(ReftWeights.Unit unit, ReftConfig config, NDArray h, boolean training) {
        NDManager caller = h.getManager();
        NDArray w = local(unit.sourceWeight().getArray(), caller);
        NDArray b = local(unit.sourceBias().getArray(), caller);
        NDArray r = projection(local(unit.projection().getArray(), caller), config.orthogonality());
        NDArray source = activate(Linear.linear(h, w, b).head(), config.nonLinearity());
        if (config.subtractProjection()) {
            source = source.sub(Linear.linear(h, r).head());
        }
        NDArray out = h.add(source.matMul(r));
        if (training && config.dropout() > 0) {
            out = Dropout.dropout(out, (float) config.dropout(), true).head();
        }
        return out;
    }

    /** R as the forward uses it: with orthogonality, its rows made orthonormal (Gram-Schmidt). */
    static NDArray projection(NDArray r, boolean orthogonality) {
        if (!orthogonality) {
            return r;
        }
        long rows = r.getShape().get(0);
        List<NDArray> basis = new ArrayList<>();
        for (long i = 0; i < rows; i++) {
            NDArray v = r.get(i);
            for (NDArray q : basis) {
                v = v.sub(q.mul(v.mul(q).sum()));
            }
            basis.add(v.div(v.square().sum().sqrt()));
        }
        return NDArrays.stack(new NDList(basis));
    }

    /** A parameter's values in the caller's manager (an addition to zeros made there), its gradient kept. */
    static NDArray local(NDArray parameter, NDManager caller) {
        return caller.zeros(parameter.getShape(), parameter.getDataType(), parameter.getDevice()).add(parameter);
    }

    static NDArray activate(NDArray x, String name) {
        if (name == null) {
            return x;
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "linear", "identity" -> x;
            case "relu" -> Activation.relu(x);
            case "tanh" -> Activation.tanh(x);
            case "sigmoid" -> Activation.sigmoid(x);
            case "gelu" -> Activation.gelu(x);
            case "silu", "swish" -> Activation.swish(x, 1f);
            default -> throw new IllegalArgumentException("ReFT non_linearity '" + name + "' is not one of "
                    + ACTIVATIONS);
        };
    }
}
