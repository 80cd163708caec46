package io.github.djladapters.processor;

import com.google.auto.service.AutoService;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.JavaFile;
import io.github.djladapters.processor.DeclarationReport.Location;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;
import javax.lang.model.util.ElementFilter;
import javax.tools.Diagnostic;

/**
 * Reads {@code @AdaptableModel} classes and {@code @AdapterInterface} descriptors, reports every
 * mistake in them on the exact element, and generates a {@code ModelBindings} implementation for
 * each correct one plus the {@code META-INF/services} entry that registers them.
 *
 * <p>Each declaration goes through three steps: a reader checks it and builds an immutable model
 * ({@link FieldModelReader}, {@link InterfaceReader}), a writer turns the model into source
 * ({@link FieldBindingsWriter}, {@link InterfaceBindingsWriter}), and {@link ServicesFile} lists
 * the result. A declaration that refers to types no processor has generated yet waits for a later
 * round; what is still missing when processing ends is reported then.
 */
@AutoService(Processor.class)
public final class AdapterProcessor extends AbstractProcessor {

    private static final String ADAPTER_MODEL = Role.PACKAGE + ".AdaptableModel";
    private static final String ADAPTER_INTERFACE = Role.PACKAGE + ".AdapterInterface";

    /** Top-level types compiled from source; errors in other types go to the user's declaration. */
    private final Set<String> sourceTypes = new HashSet<>();
    /** Declarations waiting for types, by qualified name, with the names of the missing types. */
    private final Map<String, Set<String>> deferred = new TreeMap<>();
    private final ServicesFile services = new ServicesFile();
    private BlockTypes types;
    private boolean blockMissingReported;

    /** Creates the processor; javac finds it through {@code META-INF/services}. */
    public AdapterProcessor() {}

    @Override
    public synchronized void init(ProcessingEnvironment processingEnv) {
        super.init(processingEnv);
        types = new BlockTypes(processingEnv.getElementUtils(), processingEnv.getTypeUtils());
    }

    @Override
    public Set<String> getSupportedAnnotationTypes() {
        Set<String> names = new TreeSet<>();
        names.add(ADAPTER_MODEL);
        names.add(ADAPTER_INTERFACE);
        for (Role role : Role.values()) {
            names.add(role.qualifiedName());
        }
        return names;
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        for (TypeElement type : ElementFilter.typesIn(round.getRootElements())) {
            sourceTypes.add(type.getQualifiedName().toString());
        }
        if (round.processingOver()) {
            reportStillMissing();
            services.write(processingEnv.getFiler(), processingEnv.getMessager());
            return false;
        }
        reportRolesOnPlainTypes(round);
        Set<TypeElement> declarations = declarations(round);
        if (declarations.isEmpty()) {
            return false;
        }
        if (!types.blockAvailable()) {
            reportBlockMissing(declarations.iterator().next());
            return false;
        }
        for (TypeElement declaration : declarations) {
            process(declaration);
        }
        return false;
    }

    /** This round's declarations and those deferred from earlier rounds, in name order. */
    private Set<TypeElement> declarations(RoundEnvironment round) {
        Map<String, TypeElement> byName = new TreeMap<>();
        for (String name : deferred.keySet()) {
            TypeElement type = processingEnv.getElementUtils().getTypeElement(name);
            if (type != null) {
                byName.put(name, type);
            }
        }
        deferred.clear(); // each is read again below and deferred again if need be
        for (String annotation : new String[] {ADAPTER_MODEL, ADAPTER_INTERFACE}) {
            TypeElement annotationType = processingEnv.getElementUtils().getTypeElement(annotation);
            if (annotationType != null) {
                for (TypeElement type : ElementFilter.typesIn(round.getElementsAnnotatedWith(annotationType))) {
                    byName.put(type.getQualifiedName().toString(), type);
                }
            }
        }
        return new LinkedHashSet<>(byName.values());
    }

    private void process(TypeElement declaration) {
        String name = declaration.getQualifiedName().toString();
        if (AnnotationValues.find(declaration, ADAPTER_MODEL) != null) {
            ReadResult<FieldBindingsModel> read = new FieldModelReader(types, processingEnv.getElementUtils(),
                    processingEnv.getMessager(), sourceTypes).read(declaration);
            if (read.isDeferred()) {
                deferred.put(name, read.missingTypes());
            } else if (read.model() != null) {
                write(declaration, read.model().bindings(), FieldBindingsWriter.write(read.model(), declaration));
            }
        } else {
            ReadResult<InterfaceBindingsModel> read = new InterfaceReader(types, processingEnv.getElementUtils(),
                    processingEnv.getMessager(), sourceTypes).read(declaration);
            if (read.isDeferred()) {
                deferred.put(name, read.missingTypes());
            } else if (read.model() != null) {
                write(declaration, read.model().bindings(), InterfaceBindingsWriter.write(read.model(), declaration));
            }
        }
    }

    private void write(TypeElement declaration, ClassName bindings, JavaFile file) {
        try {
            file.writeTo(processingEnv.getFiler());
            services.add(bindings.reflectionName());
        } catch (IOException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR,
                    "could not write " + bindings.canonicalName() + ": " + e, declaration);
        }
    }

    /** Role annotations on a type are descriptor paths and need {@code @AdapterInterface}. */
    private void reportRolesOnPlainTypes(RoundEnvironment round) {
        for (Role role : Role.values()) {
            TypeElement annotationType = processingEnv.getElementUtils().getTypeElement(role.qualifiedName());
            if (annotationType == null) {
                continue;
            }
            for (TypeElement type : ElementFilter.typesIn(round.getElementsAnnotatedWith(annotationType))) {
                if (AnnotationValues.find(type, ADAPTER_INTERFACE) == null) {
                    AnnotationMirror mirror = AnnotationValues.find(type, role.qualifiedName());
                    DeclarationReport report = new DeclarationReport(processingEnv.getMessager(), sourceTypes,
                            Location.of(type, mirror));
                    report.error(Message.ROLE_ON_TYPE_WITHOUT_INTERFACE, report.declaration(), role.simpleName(),
                            type.getQualifiedName());
                    report.flush();
                }
            }
        }
    }

    private void reportBlockMissing(TypeElement first) {
        if (blockMissingReported) {
            return;
        }
        blockMissingReported = true;
        processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR,
                Message.BLOCK_NOT_ON_CLASS_PATH.format(first.getQualifiedName()), first);
    }

    private void reportStillMissing() {
        for (Map.Entry<String, Set<String>> waiting : deferred.entrySet()) {
            Element declaration = processingEnv.getElementUtils().getTypeElement(waiting.getKey());
            String message = Message.TYPE_NEVER_GENERATED.format(waiting.getKey(),
                    String.join(", ", new TreeSet<>(waiting.getValue())));
            if (declaration == null) {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, message);
            } else {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, message, declaration);
            }
        }
        deferred.clear();
    }
}
