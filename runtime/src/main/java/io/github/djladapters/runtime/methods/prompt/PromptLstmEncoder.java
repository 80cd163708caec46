package io.github.djladapters.runtime.methods.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;

/**
 * P-tuning's LSTM encoder as PEFT builds it: a table {@code embedding [n, d]} through a
 * bidirectional {@code torch.nn.LSTM(d, h, num_layers, batch_first=True)} ({@code lstm_head}, gate
 * order input, forget, cell, output; each direction's outputs concatenated), then {@code mlp_head}:
 * Linear(2h, 2h), ReLU, Linear(2h, d). Parameters carry PyTorch's names ({@code weight_ih_l0},
 * {@code weight_hh_l0_reverse}, ...). The virtual tokens form one short sequence, so the recurrence
 * runs step by step over it.
 */
public final class PromptLstmEncoder extends VirtualTokenWeights {

    private final Parameter embedding;
    private final int hidden;
    private final int layers;
    private final Parameter[][] lstm; // [layer * 2 + direction] -> weight_ih, weight_hh, bias_ih, bias_hh
    private final Parameter[] mlpWeights = new Parameter[2];
    private final Parameter[] mlpBiases = new Parameter[2];

    /**
     * A fresh encoder with PyTorch's default initialisation: N(0, 1) embeddings, LSTM weights uniform
     * in {@code +-1/sqrt(h)}, linear layers uniform in {@code +-1/sqrt(fan_in)}.
     *
     * @param virtualTokens {@code n}
     * @param tokenDim {@code d}
     * @param hidden {@code h}
     * @param layers the LSTM depth
     * @param manager owns the arrays (the model's parameter manager)
     */
    public PromptLstmEncoder(int virtualTokens, int tokenDim, int hidden, int layers, NDManager manager) {
        this.hidden = hidden;
        this.layers = layers;
        embedding = newParameter("embedding", manager.randomNormal(new Shape(virtualTokens, tokenDim)));
        lstm = new Parameter[layers * 2][];
        float bound = (float) (1 / Math.sqrt(hidden));
        for (int layer = 0; layer < layers; layer++) {
            int in = layer == 0 ? tokenDim : 2 * hidden;
            for (int direction = 0; direction < 2; direction++) {
                String suffix = "_l" + layer + (direction == 1 ? "_reverse" : "");
                lstm[layer * 2 + direction] = new Parameter[] {
                    uniform("lstm_head.weight_ih" + suffix, new Shape(4L * hidden, in), bound, manager),
                    uniform("lstm_head.weight_hh" + suffix, new Shape(4L * hidden, hidden), bound, manager),
                    uniform("lstm_head.bias_ih" + suffix, new Shape(4L * hidden), bound, manager),
                    uniform("lstm_head.bias_hh" + suffix, new Shape(4L * hidden), bound, manager)
                };
            }
        }
        int[][] dims = {{2 * hidden, 2 * hidden}, {tokenDim, 2 * hidden}};
        for (int i = 0; i < 2; i++) {
            float linearBound = (float) (1 / Math.sqrt(dims[i][1]));
            mlpWeights[i] = uniform("mlp_head." + (2 * i) + ".weight", new Shape(dims[i][0], dims[i][1]),
                    linearBound, manager);
            mlpBiases[i] = uniform("mlp_head." + (2 * i) + ".bias", new Shape(dims[i][0]), linearBound, manager);
        }
    }

    private Parameter uniform(String name, Shape shape, float bound, NDManager manager) {
        return newParameter(name, manager.randomUniform(-bound, bound, shape, DataType.FLOAT32));
    }

    @Override
    protected Parameter embedding() {
        return embedding;
    }

    @Override
    public NDArray prompts(NDManager manager) {
        NDArray x = owned(embedding.getArray().get(":"), manager); // [n, d]
        for (int layer = 0; layer < layers; layer++) {
            NDArray forward = direction(x, lstm[layer * 2], false);
            NDArray backward = direction(x, lstm[layer * 2 + 1], true);
            x = forward.concat(backward, 1); // [n, 2h]
        }
        x = Activation.relu(Linear.linear(x, mlpWeights[0].getArray(), mlpBiases[0].getArray()).head());
        return Linear.linear(x, mlpWeights[1].getArray(), mlpBiases[1].getArray()).head();
    }

    /** One direction of one layer over the whole sequence: {@code [n, in] -> [n, h]}. */
    private NDArray direction(NDArray x, Parameter[] p, boolean reverse) {
        NDManager manager = x.getManager();
        int steps = (int) x.getShape().get(0);
        // the input part of every gate for all steps at once: [n, 4h]
        NDArray inputGates = Linear.linear(x, p[0].getArray(), p[2].getArray()).head();
        NDArray recurrent = p[1].getArray();
        NDArray recurrentBias = p[3].getArray();
        NDArray h = manager.zeros(new Shape(1, hidden));
        NDArray c = manager.zeros(new Shape(1, hidden));
        NDArray[] outputs = new NDArray[steps];
        for (int i = 0; i < steps; i++) {
            int t = reverse ? steps - 1 - i : i;
            NDArray gates = inputGates.get(t + ":" + (t + 1)).add(Linear.linear(h, recurrent, recurrentBias).head());
            NDList split = gates.split(4, 1);
            NDArray in = Activation.sigmoid(split.get(0));
            NDArray forget = Activation.sigmoid(split.get(1));
            NDArray cell = split.get(2).tanh();
            NDArray out = Activation.sigmoid(split.get(3));
            c = forget.mul(c).add(in.mul(cell));
            h = out.mul(c.tanh());
            outputs[t] = h;
        }
        return NDArrays.concat(new NDList(outputs), 0);
    }
}
