package io.github.djladapters.processor;

import com.palantir.javapoet.ClassName;

/**
 * Names of the runtime and DJL types that generated code refers to. The processor never loads
 * them: it only writes their names, and looks them up through {@code Elements} when it must check
 * a user type against them.
 */
final class RuntimeTypes {
    static final String BINDINGS_PACKAGE = "io.github.djladapters.runtime.bindings";

    static final ClassName BLOCK = ClassName.get("ai.djl.nn", "Block");
    static final ClassName MODEL_BINDINGS = ClassName.get(BINDINGS_PACKAGE, "ModelBindings");
    static final ClassName SITE = ClassName.get(BINDINGS_PACKAGE, "Site");
    static final ClassName QKV_SPLIT = ClassName.get(BINDINGS_PACKAGE, "QkvSplit");
    static final ClassName CHILD_REPLACEMENT = ClassName.get(BINDINGS_PACKAGE, "ChildReplacement");
    static final ClassName INTERFACE_BINDINGS = ClassName.get(BINDINGS_PACKAGE, "InterfaceBindings");
    static final ClassName ADAPTER_MODEL_INTERFACE =
            ClassName.get("io.github.djladapters.runtime.bindings", "AdapterModelInterface");
    static final ClassName ADAPTER_METHOD = ClassName.get(Role.PACKAGE, "AdapterMethod");

    /** Attention blocks must implement this for prefix tuning and LLaMA-Adapter. */
    static final String KEY_VALUE_ATTENTION = "io.github.djladapters.runtime.architecture.KeyValueAttention";

    /** Where {@link java.util.ServiceLoader} looks for bindings. */
    static final String SERVICES_FILE = "META-INF/services/" + BINDINGS_PACKAGE + ".ModelBindings";

    private RuntimeTypes() {}
}
