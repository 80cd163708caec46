package io.github.djladapters.runtime.methods.lora;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * PEFT's {@code init_lora_weights}: how a new LoRA adapter starts. In JSON it is {@code true},
 * {@code false} or {@code "gaussian"}, as PEFT writes it.
 */
public enum LoRAInit {
    /** {@code true}: A kaiming-uniform (a = sqrt(5)), B zero, so the adapter starts as a no-op. */
    DEFAULT(Boolean.TRUE),
    /** {@code "gaussian"}: A normal with standard deviation 1/r, B zero. */
    GAUSSIAN("gaussian"),
    /** {@code false}: A and B both kaiming-uniform, so the adapter changes the output at once (tests). */
    NONE(Boolean.FALSE);

    private final Object json;

    LoRAInit(Object json) {
        this.json = json;
    }

    /**
     * PEFT's JSON value.
     *
     * @return {@code true}, {@code false} or {@code "gaussian"}
     */
    @JsonValue
    public Object toJson() {
        return json;
    }

    /**
     * Reads PEFT's JSON value.
     *
     * @param value a boolean or a string
     * @return the init
     * @throws IllegalArgumentException for inits not supported here (pissa, olora, loftq, ...)
     */
    @JsonCreator
    public static LoRAInit fromJson(Object value) {
        for (LoRAInit init : values()) {
            if (init.json.equals(value) || init.json.toString().equals(String.valueOf(value))) {
                return init;
            }
        }
        throw new IllegalArgumentException("init_lora_weights " + value + " is not supported; use true, false or"
                + " \"gaussian\"");
    }
}
