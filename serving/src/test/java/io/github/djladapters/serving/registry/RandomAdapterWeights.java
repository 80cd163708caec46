package io.github.djladapters.serving.registry;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Random, non-zero weights for an adapter of a scratch model, so that the adapter folders tests write change the output. */
public final class RandomAdapterWeights {

    private RandomAdapterWeights() {}

    /**
     * Gives every tensor of an adapter normal random values, drawn in the order the model lists them.
     *
     * @param model the scratch model holding the adapter
     * @param adapter the adapter's name
     * @param manager receives the drawn arrays
     * @param random the source of the values
     * @param std their standard deviation (mean 0)
     */
    public static void fill(AdapterModel<?> model, String adapter, NDManager manager, Random random, float std) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        model.adapterTensors(adapter, manager).forEach((key, value) -> {
            float[] values = new float[(int) value.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian() * std;
            }
            tensors.put(key, manager.create(values, value.getShape()));
        });
        model.loadAdapterTensors(adapter, tensors);
    }
}
