package io.github.djladapters.runtime.composition;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch side of {@link Parallel}: the model's inputs replicated once per branch along axis 0
 * (the library's {@code adjust_tensors_for_parallel}, done once at the inputs), and the outputs cut
 * back into one list per branch.
 */
public final class BatchCopies {

    private BatchCopies() {}

    /**
     * Replicates every input whose axis 0 is the batch; other inputs are passed on as they are.
     *
     * @param inputs the model's inputs; the first one's axis 0 is the batch
     * @param copies the number of branches
     * @return inputs of {@code copies * batch} rows, copy after copy
     */
    public static NDList replicate(NDList inputs, int copies) {
        long batch = inputs.head().getShape().get(0);
        NDList out = new NDList(inputs.size());
        for (NDArray input : inputs) {
            if (input.getShape().dimension() > 0 && input.getShape().get(0) == batch && copies > 1) {
                long[] repeats = new long[input.getShape().dimension()];
                java.util.Arrays.fill(repeats, 1);
                repeats[0] = copies;
                NDArray copy = input.tile(repeats);
                copy.setName(input.getName());
                out.add(copy);
            } else {
                out.add(input);
            }
        }
        return out;
    }

    /**
     * Cuts outputs of {@code copies * batch} rows into one list per branch; an output whose axis 0
     * is not that goes to every branch as it is.
     *
     * @param outputs the model's outputs over the replicated batch
     * @param copies the number of branches
     * @param batch the rows of the caller's batch
     * @return one output list per branch, in branch order
     */
    public static List<NDList> cut(NDList outputs, int copies, long batch) {
        List<NDList> branches = new ArrayList<>();
        for (int branch = 0; branch < copies; branch++) {
            NDList own = new NDList(outputs.size());
            for (NDArray output : outputs) {
                if (output.getShape().dimension() > 0 && output.getShape().get(0) == copies * batch) {
                    own.add(output.get(new NDIndex("{}:{}", branch * batch, (branch + 1) * batch)));
                } else {
                    own.add(output);
                }
            }
            branches.add(own);
        }
        return branches;
    }
}
