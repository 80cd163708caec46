package io.github.djladapters.processor;

import java.util.Set;

/**
 * What reading one declaration gave: a model to write, nothing (the errors are reported), or a
 * wait for types that another processor may still generate.
 *
 * @param model the model to write, or {@code null}
 * @param missingTypes names of types that did not resolve; not empty when the read is deferred
 */
record ReadResult<T>(T model, Set<String> missingTypes) {

    static <T> ReadResult<T> valid(T model) {
        return new ReadResult<>(model, Set.of());
    }

    static <T> ReadResult<T> invalid() {
        return new ReadResult<>(null, Set.of());
    }

    static <T> ReadResult<T> deferred(Set<String> missingTypes) {
        return new ReadResult<>(null, Set.copyOf(missingTypes));
    }

    boolean isDeferred() {
        return !missingTypes.isEmpty();
    }
}
