package io.github.djladapters.runtime.testmodel;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;

/**
 * The reference of the per-row adapter tests: one row of token ids run alone through the plain
 * single-adapter path, with only its adapter active (none for the base model), which keeps nothing
 * between forwards.
 */
public final class RowAlone {

    private RowAlone() {}

    /**
     * The row's output with its adapter; leaves that adapter (or none) active.
     *
     * @param peft the model
     * @param manager the caller's manager (the forward runs in a sub-manager of it)
     * @param ids the row's token ids
     * @param adapter the row's adapter; {@code ""} for the base model
     * @return the row's first output, flattened
     */
    public static float[] output(AdapterModel<TinyModel> peft, NDManager manager, long[] ids, String adapter) {
        if (adapter.isEmpty()) {
            peft.setActiveAdapters();
        } else {
            peft.setActiveAdapters(adapter);
        }
        try (NDManager scope = manager.newSubManager()) {
            return peft.forward(new NDList(scope.create(new long[][] {ids}))).head().toFloatArray();
        }
    }
}
