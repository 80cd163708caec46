package io.github.djladapters.processor;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.TypeSpec;
import javax.lang.model.element.Element;

/**
 * What every generated file shares: the {@code @Generated} marker (without a date, so output is
 * reproducible) and the file layout.
 */
final class GeneratedSource {

    private GeneratedSource() {}

    /** {@code @javax.annotation.processing.Generated("...AdapterProcessor")}. */
    static AnnotationSpec generatedAnnotation() {
        return AnnotationSpec.builder(ClassName.get("javax.annotation.processing", "Generated"))
                .addMember("value", "$S", AdapterProcessor.class.getCanonicalName())
                .build();
    }

    /**
     * The file for a generated type.
     *
     * @param originating the declaration it was generated from, for incremental builds; may be {@code null}
     */
    static JavaFile javaFile(String packageName, TypeSpec type, Element originating) {
        TypeSpec withOrigin = originating == null ? type : type.toBuilder().addOriginatingElement(originating).build();
        return JavaFile.builder(packageName, withOrigin).skipJavaLangImports(true).build();
    }
}
