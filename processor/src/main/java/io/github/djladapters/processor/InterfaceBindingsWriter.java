package io.github.djladapters.processor;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeSpec;
import java.util.Map;
import javax.lang.model.element.Element;
import javax.lang.model.element.Modifier;

/**
 * Writes the bindings of one {@code @AdapterInterface} descriptor: a subclass of the runtime's
 * {@code InterfaceBindings} that holds the descriptor's paths as an {@code AdapterModelInterface}
 * and resolves them against DJL child names at run time.
 */
final class InterfaceBindingsWriter {

    private InterfaceBindingsWriter() {}

    /**
     * The source file of the bindings class.
     *
     * @param originating the {@code @AdapterInterface} type, or {@code null}
     */
    static JavaFile write(InterfaceBindingsModel model, Element originating) {
        TypeSpec type = TypeSpec.classBuilder(model.bindings())
                .addJavadoc("Adapter bindings declared by {@link $T}, generated from its role annotations.\n",
                        model.descriptor())
                .addAnnotation(GeneratedSource.generatedAnnotation())
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .superclass(ParameterizedTypeName.get(RuntimeTypes.INTERFACE_BINDINGS, model.target()))
                .addField(FieldSpec.builder(RuntimeTypes.ADAPTER_MODEL_INTERFACE, "INTERFACE", Modifier.PUBLIC,
                                Modifier.STATIC, Modifier.FINAL)
                        .addJavadoc("The paths declared on {@link $T}.\n", model.descriptor())
                        .initializer(builderChain(model))
                        .build())
                .addMethod(MethodSpec.constructorBuilder()
                        .addJavadoc("Creates the bindings; {@link java.util.ServiceLoader} calls this.\n")
                        .addModifiers(Modifier.PUBLIC)
                        .addStatement("super($T.class, $T.class, INTERFACE)", model.target(), model.descriptor())
                        .build())
                .build();
        return GeneratedSource.javaFile(model.bindings().packageName(), type, originating);
    }

    private static CodeBlock builderChain(InterfaceBindingsModel model) {
        CodeBlock.Builder chain = CodeBlock.builder()
                .add("$T.builder()\n$>$>", RuntimeTypes.ADAPTER_MODEL_INTERFACE)
                .add(".adapterMethods($L)\n", FieldBindingsWriter.constants(RuntimeTypes.ADAPTER_METHOD, model.methods()));
        for (Map.Entry<Role, String> path : model.paths().entrySet()) {
            chain.add(".$N($S)\n", path.getKey().builderSetter(), path.getValue());
            if (path.getKey() == Role.QKV_PROJ && model.qkvSplit() != null) {
                QkvSizes split = model.qkvSplit();
                if (split.equalThirds()) {
                    chain.add(".attnQkvSplit($T.EQUAL_THIRDS)\n", RuntimeTypes.QKV_SPLIT);
                } else {
                    chain.add(".attnQkvSplit(new $T($L, $L, $L))\n", RuntimeTypes.QKV_SPLIT, split.q(), split.k(),
                            split.v());
                }
            }
        }
        return chain.add(".build()$<$<").build();
    }
}
