package io.github.djladapters.runtime.methods.reft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import io.github.djladapters.runtime.architecture.RealTokens;
import io.github.djladapters.runtime.methods.AdapterUse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Adapters library's {@code ReftModule} on {@code [batch, seq, hidden]} hidden states: unit 0 on
 * the first {@code prefix_positions} real tokens of each row, unit 1 (unit 0 when tied) on the last
 * {@code suffix_positions}, the suffix winning where they overlap; other positions (padding
 * included) unchanged. Real tokens come from the model's {@link RealTokens} window. Each
 * unit is position-wise: {@code dropout(h + (act(h W^T + b) - h R^T) R)}.
 */
final class ReftIntervention {

    /** The {@code non_linearity} values understood; null means none. */
    static final Set<String> ACTIVATIONS = Set.of("linear", "identity", "relu", "tanh", "sigmoid", "gelu", "silu",
            "swish");

    private ReftIntervention() {}

    /**
     * The states after one adapter: {@code h} plus its change on its positions (and rows). The
     * positions are counted on the real tokens of {@link RealTokens#current()} when the model opened a
     * window, else on every position of {@code h}.
     */
    static NDArray apply(ReftWeights weights, NDArray h, boolean training, AdapterUse<ReftWeights> use) {
        ReftConfig config = weights.config;
        NDArray[] masks = positions(config, h);
        if (masks == null) {
            return h;
        }
        NDArray delta;
        if (config.tiedWeights()) {
            delta = change(weights.units.get(0), config, h, sum(masks[0], masks[1]), training);
        } else {
            delta = sum(change(weights.units.get(0), config, h, masks[0], training),
                    change(weights.units.get(1), config, h, masks[1], training));
        }
        return delta == null ? h : h.add(use.onRows(delta));
    }

    /**
     * The prefix and suffix masks over {@code h}'s positions, {@code [batch or 1, seq, 1]} (null for a
     * side the config does not use), or null when no position of {@code h} is intervened on.
     */
    static NDArray[] positions(ReftConfig config, NDArray h) {
        int prefix = config.prefixPositions();
        int suffix = config.suffixPositions();
        if (prefix == 0 && suffix == 0) {
            return null;
        }
        long batch = h.getShape().get(0);
        long seq = h.getShape().get(1);
        RealTokens.Window window = RealTokens.current().orElse(null);
        NDArray[] masks;
        if (window == null) {
            masks = everyPosition(prefix, suffix, Math.toIntExact(seq), h.getManager());
        } else {
            if (window.batch() != batch || window.newPositions() != seq) {
                throw new IllegalStateException("ReFT got hidden states of shape " + h.getShape() + " but the model's"
                        + " real-token window covers " + window.batch() + " rows and " + window.newPositions()
                        + " positions");
            }
            if (!window.countsNewPositions()) {
                return null; // a pass that extends a cache: only the prompt pass is intervened on
            }
            masks = window.firstAndLast(prefix, suffix).clone();
        }
        if (prefix == 0) {
            masks[0] = null;
        }
        if (suffix == 0) {
            masks[1] = null;
        }
        for (int i = 0; i < 2; i++) {
            if (masks[i] != null && masks[i].getDataType() != h.getDataType()) {
                masks[i] = masks[i].toType(h.getDataType(), false);
            }
        }
        return masks;
    }

    /** The first {@code prefix} and last {@code suffix} positions of a sequence without padding. */
    private static NDArray[] everyPosition(int prefix, int suffix, int seq, NDManager manager) {
        float[] first = new float[seq];
        float[] last = new float[seq];
        for (int i = 0; i < Math.min(prefix, seq); i++) {
            first[i] = 1;
        }
        for (int i = Math.max(0, seq - suffix); i < seq; i++) {
            last[i] = 1;
            first[i] = 0; // scattered after the prefix, as in the library
        }
        return new NDArray[] {manager.create(first, new Shape(1, seq, 1)), manager.create(last, new Shape(1, seq, 1))};
    }

    private static NDArray sum(NDArray a, NDArray b) {
        return a == null ? b : b == null ? a : a.add(b);
    }

    /** {@code mask * (unit(h) - h)}, or null without a mask. */
    private static NDArray change(ReftWeights.Unit unit, ReftConfig config, NDArray h, NDArray mask, boolean training) {
        if (mask == null) {
            return null;
        }
        return unit(unit, config, h, training).sub(h).mul(mask);
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
