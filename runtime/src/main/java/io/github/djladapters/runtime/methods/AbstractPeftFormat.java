package io.github.djladapters.runtime.methods;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A {@link PeftFormat} whose {@code peft_type} and key set are fixed when it is made, so each
 * method's format states them once and adds only {@link #configToSave}.
 *
 * <pre>{@code
 * final class IA3PeftFormat extends AbstractPeftFormat<IA3Config> {
 *     IA3PeftFormat() {
 *         super("IA3", "\"fan_in_fan_out\": false, \"target_modules\": null");
 *     }
 *     ...
 * }
 * }</pre>
 *
 * @param <C> the config record
 */
public abstract class AbstractPeftFormat<C extends AdapterConfig> implements PeftFormat<C> {

    private final String peftType;
    private final String methodKeys;

    /**
     * Fixes the type and the keys.
     *
     * @param peftType PEFT's {@code peft_type}, for example {@code LORA}
     * @param methodKeys the method's own keys and their unused values, as the inside of a JSON object
     *     (see {@link PeftKeys#of})
     */
    protected AbstractPeftFormat(String peftType, String methodKeys) {
        this.peftType = peftType;
        this.methodKeys = methodKeys;
    }

    @Override
    public final String peftType() {
        return peftType;
    }

    @Override
    public final ObjectNode keys() {
        return PeftKeys.of(peftType, methodKeys);
    }
}
