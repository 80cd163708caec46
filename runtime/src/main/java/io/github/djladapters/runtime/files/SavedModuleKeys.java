package io.github.djladapters.runtime.files;

import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.savedmodules.ModulesToSaveLayer;
import java.util.ArrayList;
import java.util.List;

/**
 * The keys of {@code modules_to_save} copies in adapter files. Current PEFT writes
 * {@code base_model.model.<module path>.<parameter>} ({@code ModulesToSaveWrapper.adapter_state_dict}
 * drops {@code modules_to_save.<adapter>.}), and so does {@link PeftAdapterFiles}; older PEFT wrote
 * {@code base_model.model.<module path>.modules_to_save.<parameter>}, which loading reads as the
 * current key.
 */
final class SavedModuleKeys {

    /** What older PEFT put between the module path and the parameter name. */
    static final String OLD_INFIX = "modules_to_save.";

    private final List<String> paths = new ArrayList<>();

    /**
     * The modules one adapter saves copies of, in a model.
     *
     * @param model the model holding the adapter
     * @param name the adapter
     */
    SavedModuleKeys(AdapterStore model, String name) {
        for (AdapterAttachment layer : model.attachments()) {
            if (layer instanceof ModulesToSaveLayer && layer.adapterNames().contains(name)) {
                paths.add(layer.modulePath());
            }
        }
    }

    /**
     * A file key in the current form.
     *
     * @param key a key as stored, such as {@code base_model.model.classifier.modules_to_save.weight}
     * @return the current key, such as {@code base_model.model.classifier.weight}; other keys unchanged
     */
    String current(String key) {
        for (String path : paths) {
            String old = PeftAdapterFiles.KEY_PREFIX + path + "." + OLD_INFIX;
            if (key.startsWith(old)) {
                return PeftAdapterFiles.KEY_PREFIX + path + "." + key.substring(old.length());
            }
        }
        return key;
    }
}
