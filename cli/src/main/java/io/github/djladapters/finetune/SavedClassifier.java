package io.github.djladapters.finetune;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A trained classifier on disk: the adapter in its method's layout ({@link AdapterModel#saveAdapterFolder}) and the head in
 * {@value #HEAD_FILE} ({@link ClassifierHead}), in one directory.
 */
public final class SavedClassifier {

    /** The head's file. */
    public static final String HEAD_FILE = "classifier.safetensors";

    private SavedClassifier() {}

    /**
     * Writes the adapter and the head.
     *
     * @param classifier the trained classifier
     * @param adapter the adapter to save
     * @param dir the directory, created when missing
     * @param baseModel PEFT's {@code base_model_name_or_path}
     * @throws IOException when writing fails
     */
    public static void save(TextClassifier classifier, String adapter, Path dir, String baseModel) throws IOException {
        classifier.adapters().baseModelNameOrPath(baseModel).saveAdapterFolder(adapter, dir);
        classifier.head().save(dir.resolve(HEAD_FILE));
    }

    /**
     * Puts a saved adapter and head on a freshly loaded encoder, the adapter active.
     *
     * @param encoder the base model the adapter was trained on
     * @param dir a directory written by {@link #save}
     * @param adapter the name to give the adapter
     * @param manager owns the head's parameters
     * @return the classifier
     * @throws IOException when a file is missing or does not fit the encoder
     */
    public static TextClassifier load(Encoder encoder, Path dir, String adapter, NDManager manager) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("adapter directory not found: " + dir);
        }
        Path headFile = dir.resolve(HEAD_FILE);
        if (!Files.isRegularFile(headFile)) {
            throw new IOException("no " + HEAD_FILE + " in " + dir + " (a classifier head is saved next to the adapter)");
        }
        AdapterModel<BertModel> adapters = Adapters.init(encoder.model());
        adapters.loadAdapter(dir, adapter);
        adapters.setActiveAdapters(adapter);
        return new TextClassifier(adapters, encoder.tokenizer(), ClassifierHead.load(headFile, manager));
    }
}
