package io.github.djladapters.processor;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import com.palantir.javapoet.WildcardTypeName;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.lang.model.element.Element;
import javax.lang.model.element.Modifier;

/**
 * Writes the {@code ModelBindings} implementation of one {@code @AdaptableModel} class: plain field
 * reads and writes along each site's chain, no reflection, sites in {@code Site} order.
 */
final class FieldBindingsWriter {

    private static final String MODEL = "model";
    private static final String LAYER = "layer";
    private static final String SITE = "site";
    private static final String WITH = "with";
    private static final String LAYER_BLOCK = "layerBlock";
    private static final String OWNER = "owner";

    private final FieldBindingsModel model;
    private final ClassName modelType;

    private FieldBindingsWriter(FieldBindingsModel model) {
        this.model = model;
        this.modelType = model.model();
    }

    /**
     * The source file of the bindings class.
     *
     * @param originating the {@code @AdaptableModel} class, or {@code null}
     */
    static JavaFile write(FieldBindingsModel model, Element originating) {
        return new FieldBindingsWriter(model).javaFile(originating);
    }

    private JavaFile javaFile(Element originating) {
        TypeSpec type = TypeSpec.classBuilder(model.bindings())
                .addJavadoc("Adapter bindings of {@link $T}, generated from its role annotations.\n", modelType)
                .addAnnotation(GeneratedSource.generatedAnnotation())
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addSuperinterface(ParameterizedTypeName.get(RuntimeTypes.MODEL_BINDINGS, modelType))
                .addField(methodsField())
                .addField(sitesField())
                .addMethod(MethodSpec.constructorBuilder()
                        .addJavadoc("Creates the bindings; {@link java.util.ServiceLoader} calls this.\n")
                        .addModifiers(Modifier.PUBLIC)
                        .build())
                .addMethod(override("modelType", ParameterizedTypeName.get(ClassName.get(Class.class), modelType))
                        .addStatement("return $T.class", modelType)
                        .build())
                .addMethod(override("declaringType", ParameterizedTypeName.get(ClassName.get(Class.class),
                                WildcardTypeName.subtypeOf(Object.class)))
                        .addStatement("return $T.class", modelType)
                        .build())
                .addMethod(override("methods", setOf(RuntimeTypes.ADAPTER_METHOD)).addStatement("return METHODS").build())
                .addMethod(override("sites", setOf(RuntimeTypes.SITE)).addStatement("return SITES").build())
                .addMethod(qkvSplit())
                .addMethod(override("embeddings", RuntimeTypes.BLOCK)
                        .addParameter(modelType, MODEL)
                        .addStatement("return $L", model.embeddings().read(MODEL, LAYER))
                        .build())
                .addMethod(replaceEmbeddings())
                .addMethod(override("layerCount", TypeName.INT)
                        .addParameter(modelType, MODEL)
                        .addStatement("return $L", model.layers().count(MODEL))
                        .build())
                .addMethod(override("layer", RuntimeTypes.BLOCK)
                        .addParameter(modelType, MODEL)
                        .addParameter(TypeName.INT, LAYER)
                        .addStatement("return $L", model.layers().read(MODEL, LAYER))
                        .build())
                .addMethod(get())
                .addMethod(replace())
                .addMethod(declaredAt())
                .build();
        return GeneratedSource.javaFile(model.bindings().packageName(), type, originating);
    }

    private FieldSpec methodsField() {
        CodeBlock methods = model.methods().isEmpty()
                ? CodeBlock.of("$T.noneOf($T.class)", EnumSet.class, RuntimeTypes.ADAPTER_METHOD)
                : CodeBlock.of("$T.of($L)", EnumSet.class, constants(RuntimeTypes.ADAPTER_METHOD, model.methods()));
        return FieldSpec.builder(setOf(RuntimeTypes.ADAPTER_METHOD), "METHODS", Modifier.PRIVATE, Modifier.STATIC,
                        Modifier.FINAL)
                .initializer("$T.unmodifiableSet($L)", Collections.class, methods)
                .build();
    }

    private FieldSpec sitesField() {
        List<String> names = new ArrayList<>();
        model.sites().keySet().forEach(site -> names.add(site.name()));
        return FieldSpec.builder(setOf(RuntimeTypes.SITE), "SITES", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .initializer("$T.unmodifiableSet($T.of($L))", Collections.class, EnumSet.class,
                        constants(RuntimeTypes.SITE, names))
                .build();
    }

    private MethodSpec qkvSplit() {
        MethodSpec.Builder method = override("qkvSplit", RuntimeTypes.QKV_SPLIT).addParameter(RuntimeTypes.SITE, SITE);
        CodeBlock fail = CodeBlock.of("throw new $T($S + $N + $S)", IllegalArgumentException.class,
                modelType.simpleName() + " declares no fused qkv projection at ", SITE, "; see @QKVProj");
        if (model.qkvSplits().isEmpty()) {
            return method.addStatement(fail).build();
        }
        method.beginControlFlow("switch ($N)", SITE);
        for (Map.Entry<SiteName, QkvSizes> split : model.qkvSplits().entrySet()) {
            QkvSizes sizes = split.getValue();
            method.addCode("case $L:\n", split.getKey().name()).addCode("$>");
            if (sizes.equalThirds()) {
                method.addStatement("return $T.EQUAL_THIRDS", RuntimeTypes.QKV_SPLIT);
            } else {
                method.addStatement("return new $T($L, $L, $L)", RuntimeTypes.QKV_SPLIT, sizes.q(), sizes.k(), sizes.v());
            }
            method.addCode("$<");
        }
        return method.addCode("default:\n$>").addStatement(fail).addCode("$<").endControlFlow().build();
    }

    private MethodSpec replaceEmbeddings() {
        MethodSpec.Builder method = override("replaceEmbeddings", TypeName.VOID)
                .addParameter(modelType, MODEL)
                .addParameter(RuntimeTypes.BLOCK, WITH)
                .addStatement("$T.requireNonNull($N, $S)", Objects.class, WITH, WITH);
        return method.addCode(replaceField(model.embeddings(), MODEL)).build();
    }

    private MethodSpec get() {
        MethodSpec.Builder method = override("get", RuntimeTypes.BLOCK)
                .addParameter(modelType, MODEL)
                .addParameter(TypeName.INT, LAYER)
                .addParameter(RuntimeTypes.SITE, SITE)
                .addStatement("$T $N = $L", model.layerType(), LAYER_BLOCK, model.layers().read(MODEL, LAYER))
                .beginControlFlow("switch ($N)", SITE);
        for (Map.Entry<SiteName, FieldChain> site : model.sites().entrySet()) {
            method.addCode("case $L:\n$>", site.getKey().name())
                    .addStatement("return $L", site.getValue().read(LAYER_BLOCK, LAYER))
                    .addCode("$<");
        }
        return method.addCode("default:\n$>").addStatement(undeclared()).addCode("$<").endControlFlow().build();
    }

    private MethodSpec replace() {
        MethodSpec.Builder method = override("replace", TypeName.VOID)
                .addParameter(modelType, MODEL)
                .addParameter(TypeName.INT, LAYER)
                .addParameter(RuntimeTypes.SITE, SITE)
                .addParameter(RuntimeTypes.BLOCK, WITH)
                .addStatement("$T.requireNonNull($N, $S)", Objects.class, WITH, WITH)
                .addStatement("$T $N = $L", model.layerType(), LAYER_BLOCK, model.layers().read(MODEL, LAYER))
                .beginControlFlow("switch ($N)", SITE);
        List<SiteName> attention = new ArrayList<>();
        for (Map.Entry<SiteName, FieldChain> site : model.sites().entrySet()) {
            if (!site.getKey().replaceable()) {
                attention.add(site.getKey());
                continue;
            }
            method.addCode("case $L: {\n$>", site.getKey().name())
                    .addCode(replaceField(site.getValue(), LAYER_BLOCK))
                    .addStatement("return")
                    .addCode("$<}\n");
        }
        for (SiteName site : attention) {
            method.addCode("case $L:\n", site.name());
        }
        if (!attention.isEmpty()) {
            method.addCode("$>").addStatement("throw new $T($S + $N + $S)", IllegalArgumentException.class,
                    modelType.simpleName() + ": ", SITE,
                    " is an attention block and is not replaced; replace its projections").addCode("$<");
        }
        return method.addCode("default:\n$>").addStatement(undeclared()).addCode("$<").endControlFlow().build();
    }

    /** Child list first, then the field: if DJL refuses the swap, the model is left as it was. */
    private static CodeBlock replaceField(FieldChain chain, String root) {
        CodeBlock.Builder code = CodeBlock.builder();
        String field = chain.last().name();
        String owner = root;
        if (chain.links().size() > 1) {
            code.addStatement("$T $N = $L", chain.last().ownerType(), OWNER, chain.readOwner(root, LAYER));
            owner = OWNER;
        }
        return code.addStatement("$T.replaceChild($N, $N.$N, $N)", RuntimeTypes.CHILD_REPLACEMENT, owner, owner, field,
                        WITH)
                .addStatement("$N.$N = $N", owner, field, WITH)
                .build();
    }

    private MethodSpec declaredAt() {
        MethodSpec.Builder method = override("declaredAt", ClassName.get(String.class))
                .addParameter(RuntimeTypes.SITE, SITE)
                .beginControlFlow("switch ($N)", SITE);
        for (SiteName site : model.sites().keySet()) {
            method.addCode("case $L:\n$>", site.name()).addStatement("return $S", model.declaredAt(site)).addCode("$<");
        }
        return method.addCode("default:\n$>").addStatement(undeclared()).addCode("$<").endControlFlow().build();
    }

    private CodeBlock undeclared() {
        return CodeBlock.of("throw new $T($S + $N + $S + SITES)", IllegalArgumentException.class,
                modelType.simpleName() + " declares no site ", SITE, "; its sites are ");
    }

    private static MethodSpec.Builder override(String name, TypeName returns) {
        return MethodSpec.methodBuilder(name)
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(returns);
    }

    private static TypeName setOf(ClassName element) {
        return ParameterizedTypeName.get(ClassName.get(Set.class), element);
    }

    static CodeBlock constants(ClassName enumType, Iterable<String> names) {
        CodeBlock.Builder code = CodeBlock.builder();
        for (String name : names) {
            code.add(code.isEmpty() ? "$T.$N" : ",$W$T.$N", enumType, name);
        }
        return code.build();
    }
}
