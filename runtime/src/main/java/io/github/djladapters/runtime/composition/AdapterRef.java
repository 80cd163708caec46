package io.github.djladapters.runtime.composition;

import java.util.List;
import java.util.Objects;

/**
 * One adapter inside a composition (a plain string in the Adapters library).
 *
 * @param name the adapter name
 */
public record AdapterRef(String name) implements Composition {

    /** Checks the name. */
    public AdapterRef {
        Objects.requireNonNull(name, "adapter name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an adapter name in a composition must not be empty");
        }
    }

    @Override
    public List<Composition> children() {
        return List.of();
    }

    @Override
    public String blockName() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }
}
