package io.github.djladapters.runtime.methods;

/**
 * The configuration of one adapter, a record whose JSON form uses the field names of PEFT or the
 * adapters library. {@link MethodRegistry} finds the method that applies it by its class.
 */
public interface AdapterConfig {

    /**
     * PEFT's {@code peft_type} of this method.
     *
     * @return for example {@code LORA} or {@code IA3}; null for a method PEFT does not have
     */
    default String peftType() {
        return null;
    }

    /**
     * The architecture column of {@code adapterSummary()}.
     *
     * @return for example {@code lora}; by default the lower-case {@link #peftType()}
     */
    default String architecture() {
        String type = peftType();
        return type == null ? getClass().getSimpleName() : type.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * PEFT's {@code modules_to_save}: modules of which the adapter trains and saves its own full
     * copy (a classification head, say), matched as PEFT does: a module whose path equals an entry
     * or ends with {@code "." + entry}. See {@code ModulesToSaveLayer}.
     *
     * @return module names; null or empty for none (the default)
     */
    default java.util.List<String> modulesToSave() {
        return null;
    }
}
