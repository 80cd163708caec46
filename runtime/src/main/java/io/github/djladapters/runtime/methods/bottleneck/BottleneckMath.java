package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.FlatLinear;
import io.github.djladapters.runtime.engine.Scalars;

/**
 * The Adapters library's bottleneck formulas ({@code Adapter.pre_forward}, {@code forward},
 * {@code post_forward} and {@code ParallelAdapter}'s), for one adapter at one sub-block, given the
 * sub-block's output {@code h}, its residual input {@code x} and the model's layer norm after it
 * (null in a pre-LN model). The result is what the wrapped output projection returns in place of
 * {@code h}: the model then adds {@code x} (and applies its layer norm) itself, so when
 * {@code original_ln_after} is true the result is the adapter's output before that step, and when it
 * is false it is the adapter's output minus {@code x} (with the model's layer norm bypassed by
 * {@link NormBypass}).
 */
final class BottleneckMath {

    /** PyTorch's {@code nn.LayerNorm} default epsilon, used by the adapter's own layer norms. */
    static final float ADAPTER_LN_EPS = 1e-5f;

    private BottleneckMath() {}

    static NDArray replacement(ParameterStore store, BottleneckWeights w, NDArray h, NDArray x, Block layerNorm,
            boolean training, PairList<String, Object> params) {
        return stacked(store, java.util.List.of(w), h, x, layerNorm, training, params);
    }

    /**
     * The library's {@code Stack} of sequential adapters at one site ({@code compose_stack}, then the
     * last adapter's {@code post_forward}): each adapter runs its own {@code pre_forward} on the
     * previous adapter's output (the sub-block's output for the first) and the sub-block's residual
     * input, then its {@code forward}; with one adapter, that adapter's replacement. Adapters in a
     * stack agree on {@code original_ln_after} ({@link BottleneckMethod#checkComposition}).
     */
    static NDArray stacked(ParameterStore store, java.util.List<BottleneckWeights> stack, NDArray h, NDArray x,
            Block layerNorm, boolean training, PairList<String, Object> params) {
        BnConfig c = stack.get(0).config();
        NDArray out;
        if (c.isParallel()) {
            // ParallelAdapter: pre_forward hands it the residual input; post_forward adds the sub-block's output
            out = body(store, stack.get(0), require(x, c), training).addi(h);
        } else {
            out = h;
            for (BottleneckWeights w : stack) {
                // compose_stack runs pre_block for every adapter, on the previous adapter's output
                NDArray[] prepared = pre(store, w.config(), out, x, layerNorm, training, params);
                out = adapter(store, w, prepared[0], prepared[1], training);
            }
        }
        return stack.get(stack.size() - 1).config().originalLnAfter() ? out : out.sub(require(x, c));
    }

    /**
     * The library's {@code compose_fuse}: the last adapter's {@code pre_forward}, each adapter's up
     * projection on the same input, the fusion layer's attention over them, the last adapter's
     * {@code post_forward}.
     */
    static NDArray fused(ParameterStore store, FusionWeights fusion, java.util.List<BottleneckWeights> fused, NDArray h,
            NDArray x, Block layerNorm, boolean training, PairList<String, Object> params) {
        BnConfig c = fused.get(fused.size() - 1).config();
        NDArray[] prepared = pre(store, c, h, x, layerNorm, training, params);
        NDArray query = fusion.config().queryBeforeLn() ? h : prepared[0];
        NDList ups = new NDList(fused.size());
        for (BottleneckWeights w : fused) {
            ups.add(body(store, w, prepared[0], training));
        }
        NDArray out = fusion.fuse(store, query, ai.djl.ndarray.NDArrays.stack(ups, 2), prepared[1], training);
        return c.originalLnAfter() ? out : out.sub(require(x, c));
    }

    /** {@code Adapter.pre_forward} of a sequential adapter: {@code {adapter input, residual}}. */
    private static NDArray[] pre(ParameterStore store, BnConfig c, NDArray h, NDArray x, Block layerNorm,
            boolean training, PairList<String, Object> params) {
        NDArray residual = c.residualBeforeLn() == ResidualBeforeLn.TRUE ? h : null;
        NDArray input = h;
        if (c.originalLnBefore()) {
            NDArray sum = h.add(require(x, c));
            if (layerNorm != null) {
                residual = c.residualBeforeLn() == ResidualBeforeLn.POST_ADD ? sum : residual;
                input = layerNorm.forward(store, new NDList(sum), training, params).head();
            } else {
                input = sum;
            }
        }
        if (c.residualBeforeLn() == ResidualBeforeLn.FALSE) {
            residual = input;
        }
        return new NDArray[] {input, residual};
    }

    /** The library's {@code Adapter.forward}: the body on {@code input}, the residual added before or after its layer norm. */
    private static NDArray adapter(ParameterStore store, BottleneckWeights w, NDArray input, NDArray residual,
            boolean training) {
        BnConfig c = w.config();
        NDArray out = body(store, w, input, training);
        if (c.adapterResidualBeforeLn()) {
            out = out.addi(residual); // in place: the body's result is a new array (autograd keeps no copy of it)
        }
        if (c.lnAfter()) {
            out = norm(store, out, w.normAfterWeight(), w.normAfterBias(), training);
        }
        if (!c.adapterResidualBeforeLn()) {
            out = out.addi(residual); // in place: a new array from the body or the layer norm
        }
        return out;
    }

    /**
     * {@code dropout(drop_path(up(act(down(ln_before(z))))) * scaling)}, without any residual. The
     * result is a new array that nothing else holds, so callers may add residuals into it in place.
     */
    private static NDArray body(ParameterStore store, BottleneckWeights w, NDArray z, boolean training) {
        BnConfig c = w.config();
        Device device = z.getDevice();
        NDArray input = c.lnBefore()
                ? norm(store, z, w.normBeforeWeight(), w.normBeforeBias(), training) : z;
        NDArray down = FlatLinear.project(input, store.getValue(w.downWeight(), device, training),
                store.getValue(w.downBias(), device, training));
        NDArray up = FlatLinear.project(NonLinearity.of(c.nonLinearity()).apply(down),
                store.getValue(w.upWeight(), device, training), store.getValue(w.upBias(), device, training));
        if (training && c.stochasticDepth() > 0) {
            up = up.mul(rowKeep(up, c.stochasticDepth()));
        }
        if (w.scaling() != null) {
            up = up.mul(store.getValue(w.scaling(), device, training));
        } else if (c.scaling().factor() != 1.0) {
            up = Scalars.mul(up, c.scaling().factor()); // x * 1.0 is x: no pass over the output for the default
        }
        if (training && c.dropout() > 0) {
            up = Dropout.dropout(up, (float) c.dropout(), true).head();
        }
        return up;
    }

    /** torchvision's {@code StochasticDepth(p, mode="row")}: keep each row with 1 - p, scaled by 1 / (1 - p). */
    private static NDArray rowKeep(NDArray up, double p) {
        long[] shape = new long[up.getShape().dimension()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = up.getShape().get(0);
        NDArray keep = up.getManager().randomUniform(0, 1, new Shape(shape), DataType.FLOAT32).gte(p)
                .toType(up.getDataType(), false);
        return Scalars.mul(keep, 1 / (1 - p));
    }

    private static NDArray norm(ParameterStore store, NDArray z, Parameter gamma, Parameter beta, boolean training) {
        Shape normalized = new Shape(z.getShape().get(z.getShape().dimension() - 1));
        return LayerNorm.layerNorm(z, normalized, store.getValue(gamma, z.getDevice(), training),
                store.getValue(beta, z.getDevice(), training), ADAPTER_LN_EPS).head();
    }

    private static NDArray require(NDArray x, BnConfig c) {
        if (x == null) {
            throw new IllegalStateException("a bottleneck adapter with original_ln_before, original_ln_after = false"
                    + " or is_parallel needs the sub-block's residual, but the hook before the sub-block did not run in"
                    + " this forward");
        }
        return x;
    }
}
