package io.github.djladapters.runtime.methods;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The adapters one attachment holds, by name in the order they were added, with the checks and the
 * freeing that {@link AdapterLayer} and {@link AdapterHook} share.
 *
 * @param <A> one adapter's weights
 */
final class HeldAdapters<A extends Block> {

    private final String modulePath;
    private final Map<String, A> adapters = new LinkedHashMap<>();

    HeldAdapters(String modulePath) {
        this.modulePath = modulePath;
    }

    /** The names, in the order added; an unmodifiable view. */
    Set<String> names() {
        return Collections.unmodifiableSet(adapters.keySet());
    }

    /** The weights by name, for {@link AdapterUse#select}; an unmodifiable view. */
    Map<String, A> byName() {
        return Collections.unmodifiableMap(adapters);
    }

    /** One adapter's weights, or null when not held. */
    A get(String name) {
        return adapters.get(name);
    }

    /** One adapter's weights; an adapter not held is the caller's error. */
    A require(String name) {
        A weights = adapters.get(name);
        if (weights == null) {
            throw new IllegalArgumentException("module '" + modulePath + "' holds no adapter '" + name + "'");
        }
        return weights;
    }

    /** Adds an adapter; a name already held is the caller's error. */
    void put(String name, A weights) {
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("module '" + modulePath + "' already holds adapter '" + name + "'");
        }
        adapters.put(name, weights);
    }

    /** One adapter's parameters, empty when not held. */
    List<Parameter> parameters(String name) {
        A weights = adapters.get(name);
        return weights == null ? new ArrayList<>() : new ArrayList<>(weights.getParameters().values());
    }

    /** Forgets an adapter without freeing its arrays; returns its weights, or null when not held. */
    A remove(String name) {
        return adapters.remove(name);
    }

    /** Frees every adapter's arrays and forgets them. */
    void releaseAll() {
        adapters.values().forEach(HeldAdapters::free);
        adapters.clear();
    }

    /** Frees the arrays of one adapter's weights (null for none). */
    static void free(Block weights) {
        if (weights != null) {
            weights.getParameters().values().forEach(Parameter::close);
        }
    }
}
