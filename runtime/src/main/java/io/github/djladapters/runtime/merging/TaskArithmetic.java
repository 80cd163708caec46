package io.github.djladapters.runtime.merging;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.stream.IntStream;

/**
 * PEFT's {@code merge_utils} on flattened float tensors of one shape: task arithmetic, TIES, DARE and
 * magnitude pruning. Element order and float32 rounding follow PyTorch's, so results match PEFT's to
 * float precision (pruning keeps exactly the same elements unless magnitudes tie).
 */
final class TaskArithmetic {

    private TaskArithmetic() {}

    /**
     * Applies one merge function.
     *
     * @param merge the function
     * @param tensors the task tensors, all the same length
     * @param weights one weight per tensor
     * @param density the fraction kept by pruning (ignored by task arithmetic)
     * @param signMethod TIES's sign election
     * @param random DARE's source of random masks
     * @return the merged tensor
     */
    static float[] merge(TaskMerge merge, List<float[]> tensors, float[] weights, double density,
            MajoritySignMethod signMethod, RandomGenerator random) {
        return switch (merge) {
            case TASK_ARITHMETIC -> weightedSum(tensors, weights);
            case MAGNITUDE_PRUNE -> weightedSum(map(tensors, t -> magnitudePrune(t, density)), weights);
            case TIES -> disjointMerge(map(tensors, t -> magnitudePrune(t, density)), weights, signMethod);
            case DARE_LINEAR -> weightedSum(map(tensors, t -> randomPrune(t, density, random)), weights);
            case DARE_TIES -> disjointMerge(map(tensors, t -> randomPrune(t, density, random)), weights, signMethod);
        };
    }

    /** {@code task_arithmetic}: {@code sum_i w_i t_i}. */
    static float[] weightedSum(List<float[]> tensors, float[] weights) {
        float[] out = new float[tensors.get(0).length];
        for (int i = 0; i < tensors.size(); i++) {
            float[] t = tensors.get(i);
            for (int j = 0; j < out.length; j++) {
                out[j] += t[j] * weights[i];
            }
        }
        return out;
    }

    /**
     * {@code prune(..., method="magnitude")}: keeps the {@code int(density * n)} largest magnitudes;
     * a density of 1 or more keeps everything.
     */
    static float[] magnitudePrune(float[] tensor, double density) {
        if (density >= 1) {
            return tensor;
        }
        int k = (int) (density * tensor.length);
        Integer[] order = IntStream.range(0, tensor.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> Math.abs(tensor[i])).reversed());
        float[] out = new float[tensor.length];
        for (int i = 0; i < k; i++) {
            out[order[i]] = tensor[order[i]];
        }
        return out;
    }

    /**
     * {@code prune(..., method="random", rescale=True)}: keeps each element with probability
     * {@code density} and divides the kept ones by it; a density of 1 or more keeps everything.
     */
    static float[] randomPrune(float[] tensor, double density, RandomGenerator random) {
        if (density >= 1) {
            return tensor;
        }
        float[] out = new float[tensor.length];
        float d = (float) density;
        for (int i = 0; i < tensor.length; i++) {
            out[i] = random.nextDouble() < density ? tensor[i] / d : 0f;
        }
        return out;
    }

    /**
     * TIES's sign election and {@code disjoint_merge}: per element, the weighted values whose sign is
     * the majority sign of the unweighted ones, summed and divided by how many there are (at least 1).
     */
    static float[] disjointMerge(List<float[]> tensors, float[] weights, MajoritySignMethod method) {
        int n = tensors.get(0).length;
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            float magnitude = 0;
            for (float[] t : tensors) {
                magnitude += method == MajoritySignMethod.TOTAL ? t[j] : Math.signum(t[j]);
            }
            float majority = magnitude >= 0 ? 1f : -1f;
            float sum = 0;
            int kept = 0;
            for (int i = 0; i < tensors.size(); i++) {
                float value = tensors.get(i)[j];
                if (Math.signum(value) == majority) {
                    sum += value * weights[i];
                    kept++;
                }
            }
            out[j] = sum / Math.max(kept, 1);
        }
        return out;
    }

    private static List<float[]> map(List<float[]> tensors, java.util.function.UnaryOperator<float[]> f) {
        List<float[]> out = new ArrayList<>(tensors.size());
        tensors.forEach(t -> out.add(f.apply(t)));
        return out;
    }
}
