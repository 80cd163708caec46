package io.github.djladapters.processor;

import com.palantir.javapoet.ClassName;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@link InterfaceBindingsWriter} needs to write the bindings of one
 * {@code @AdapterInterface} descriptor, read and checked by {@link InterfaceReader}. Immutable.
 *
 * @param descriptor the annotated descriptor type
 * @param bindings the class to generate
 * @param target the model class, or {@code ai.djl.nn.Block} when the target is only known at run time
 * @param methods names of the supported {@code AdapterMethod}s, in enum order
 * @param paths each declared role's path, in role order
 * @param qkvSplit the split of the fused projection, or {@code null} when there is none
 */
record InterfaceBindingsModel(
        ClassName descriptor,
        ClassName bindings,
        ClassName target,
        List<String> methods,
        Map<Role, String> paths,
        QkvSizes qkvSplit) {

    InterfaceBindingsModel {
        methods = List.copyOf(methods);
        paths = paths.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(paths));
    }
}
