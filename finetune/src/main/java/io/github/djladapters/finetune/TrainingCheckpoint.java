package io.github.djladapters.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A checkpoint written after each epoch so that an interrupted run can resume: the adapter and head
 * as {@link SavedClassifier} writes them, plus {@value #STATE_FILE} with the completed epochs and
 * the loss of every step so far.
 */
public final class TrainingCheckpoint {

    /** The training state file. */
    public static final String STATE_FILE = "trainer_state.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingCheckpoint() {}

    /**
     * Writes a checkpoint, replacing the one in {@code dir}.
     *
     * @param classifier the classifier being trained
     * @param adapter its adapter's name
     * @param dir the checkpoint directory
     * @param baseModel PEFT's {@code base_model_name_or_path}
     * @param history the epochs and losses so far
     * @throws IOException when writing fails
     */
    public static void write(TextClassifier classifier, String adapter, Path dir, String baseModel,
            TrainingHistory history) throws IOException {
        SavedClassifier.save(classifier, adapter, dir, baseModel);
        // the state goes last: a checkpoint without it is incomplete and is not resumed from
        Path partial = dir.resolve(STATE_FILE + ".part");
        JSON.writeValue(partial.toFile(), history);
        Files.move(partial, dir.resolve(STATE_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Whether {@code dir} holds a complete checkpoint.
     *
     * @param dir a directory
     * @return true when its state file exists
     */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(STATE_FILE));
    }

    /**
     * Reads the training state of a checkpoint.
     *
     * @param dir the checkpoint directory
     * @return the completed epochs and losses
     * @throws IOException when the state file is missing or malformed
     */
    public static TrainingHistory readHistory(Path dir) throws IOException {
        if (!exists(dir)) {
            throw new IOException("no checkpoint in " + dir + " (" + STATE_FILE + " is missing)");
        }
        return JSON.readValue(dir.resolve(STATE_FILE).toFile(), TrainingHistory.class);
    }
}
