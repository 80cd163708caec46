package io.github.djladapters.runtime.methods.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.github.djladapters.runtime.methods.AdapterWeights;

/**
 * One prefix-tuning adapter's weights, PEFT's {@code PrefixEncoder}: either the table of keys and
 * values itself, {@code embedding [n, layers * 2 * dim]}, or (with {@code prefix_projection}) a
 * table {@code embedding [n, dim]} through {@code transform}: Linear(dim, h), tanh,
 * Linear(h, layers * 2 * dim). Each row holds, per layer, that layer's keys then its values, each
 * {@code dim = key_value_heads * head_dim} wide, head by head.
 */
public final class PrefixWeights extends AdapterWeights {

    private final int virtualTokens;
    private final int layers;
    private final int dim;
    private final Parameter embedding;
    private final Parameter[] transform; // weight 0, bias 0, weight 2, bias 2; null without projection

    private PrefixWeights(int virtualTokens, int layers, int dim, NDArray table, NDArray[] transform) {
        this.virtualTokens = virtualTokens;
        this.layers = layers;
        this.dim = dim;
        embedding = newParameter("embedding", table);
        if (transform == null) {
            this.transform = null;
        } else {
            String[] names = {"transform.0.weight", "transform.0.bias", "transform.2.weight", "transform.2.bias"};
            this.transform = new Parameter[4];
            for (int i = 0; i < 4; i++) {
                this.transform[i] = newParameter(names[i], transform[i]);
            }
        }
    }

    /**
     * The keys and values as a table, as loaded from a file.
     *
     * @param table {@code [n, layers * 2 * dim]}, owned by the weights from now on
     * @param layers the layer count
     * @return the weights
     */
    public static PrefixWeights table(NDArray table, int layers) {
        Shape shape = table.getShape();
        return new PrefixWeights((int) shape.get(0), layers, (int) (shape.get(1) / (2L * layers)), table, null);
    }

    /**
     * Fresh weights as PEFT initialises them: N(0, 1) tables, linear layers uniform in
     * {@code +-1/sqrt(fan_in)}; zeros for the keys and values (or the projection's last layer) with
     * {@code zero}.
     *
     * @param virtualTokens {@code n}
     * @param layers the layer count
     * @param dim the key/value width of one layer
     * @param projectionHidden the projection's hidden size, or 0 for no projection
     * @param zero whether the keys and values start at zero
     * @param manager owns the arrays (the model's parameter manager)
     * @return the weights
     */
    public static PrefixWeights fresh(int virtualTokens, int layers, int dim, int projectionHidden, boolean zero,
            NDManager manager) {
        long width = 2L * layers * dim;
        if (projectionHidden == 0) {
            Shape shape = new Shape(virtualTokens, width);
            return new PrefixWeights(virtualTokens, layers, dim,
                    zero ? manager.zeros(shape) : manager.randomNormal(shape), null);
        }
        NDArray[] transform = {
            uniform(new Shape(projectionHidden, dim), dim, manager),
            uniform(new Shape(projectionHidden), dim, manager),
            zero ? manager.zeros(new Shape(width, projectionHidden))
                    : uniform(new Shape(width, projectionHidden), projectionHidden, manager),
            zero ? manager.zeros(new Shape(width)) : uniform(new Shape(width), projectionHidden, manager)
        };
        return new PrefixWeights(virtualTokens, layers, dim, manager.randomNormal(new Shape(virtualTokens, dim)),
                transform);
    }

    private static NDArray uniform(Shape shape, int fanIn, NDManager manager) {
        float bound = (float) (1 / Math.sqrt(fanIn));
        return manager.randomUniform(-bound, bound, shape, DataType.FLOAT32);
    }

    /**
     * How many prefix positions.
     *
     * @return {@code n}
     */
    public int virtualTokens() {
        return virtualTokens;
    }

    /**
     * The key/value width of one layer.
     *
     * @return {@code key_value_heads * head_dim}
     */
    public int dim() {
        return dim;
    }

    /**
     * Whether an MLP computes the keys and values.
     *
     * @return true with {@code prefix_projection}
     */
    public boolean projected() {
        return transform != null;
    }

    /**
     * The table of keys and values.
     *
     * @return {@code embedding}
     */
    public Parameter embedding() {
        return embedding;
    }

    /**
     * One layer's keys and values, connected to the parameters for gradients.
     *
     * @param layer the layer index
     * @param manager owns the result
     * @return {@code [n, 2 * dim]}: keys, then values
     */
    public NDArray layerKeyValues(int layer, NDManager manager) {
        long from = 2L * layer * dim;
        long to = from + 2L * dim;
        if (transform == null) {
            return owned(embedding.getArray().get(":, " + from + ":" + to), manager);
        }
        NDArray hidden = owned(embedding.getArray().get(":"), manager);
        hidden = Linear.linear(hidden, transform[0].getArray(), transform[1].getArray()).head().tanh();
        // only this layer's rows of the last linear layer
        NDArray weight = owned(transform[2].getArray().get(from + ":" + to + ", :"), manager);
        NDArray bias = owned(transform[3].getArray().get(from + ":" + to), manager);
        return Linear.linear(hidden, weight, bias).head();
    }

    /**
     * All layers' keys and values, as PEFT saves them.
     *
     * @param manager owns the result
     * @return {@code [n, layers * 2 * dim]}
     */
    public NDArray all(NDManager manager) {
        if (transform == null) {
            return owned(embedding.getArray().get(":"), manager);
        }
        NDArray hidden = owned(embedding.getArray().get(":"), manager);
        hidden = Linear.linear(hidden, transform[0].getArray(), transform[1].getArray()).head().tanh();
        return Linear.linear(hidden, transform[2].getArray(), transform[3].getArray()).head();
    }

    /**
     * The shape PEFT saves.
     *
     * @return {@code [n, layers * 2 * dim]}
     */
    public Shape savedShape() {
        return new Shape(virtualTokens, 2L * layers * dim);
    }

    private static NDArray owned(NDArray result, NDManager manager) {
        result.attach(manager);
        return result;
    }
}
