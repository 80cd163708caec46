package io.github.djladapters.serving.registry;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.finetune.ClassifierHead;
import io.github.djladapters.runtime.AdapterModel;

/**
 * The model as one batch sees it inside {@link AdapterRegistry#run}: each row reaches the adapter
 * version it was admitted with, whatever registrations happen meanwhile.
 */
public interface AdapterForward {

    /**
     * Runs the model once on the batch, each row with its adapter.
     *
     * @param inputs the model's inputs; axis 0 of the first is the batch
     * @return the outputs, owned by the inputs' manager
     */
    NDList forward(NDList inputs);

    /**
     * Routes each row to its adapter for every forward on this thread until the scope closes, for
     * loops that call the model many times on the same rows (generation).
     *
     * @param manager owns the routing masks until the scope closes
     * @return the scope to close
     */
    AdapterModel.RowAdapters routeRows(NDManager manager);

    /**
     * The classifier head read with a row's adapter version, from the same load as its weights.
     *
     * @param row a row of the batch
     * @return the head of a saved classifier ({@code classifier.safetensors} beside the adapter), or
     *     null for the base model and adapters without one
     */
    ClassifierHead classifierHead(int row);
}
