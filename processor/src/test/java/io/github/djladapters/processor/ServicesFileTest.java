package io.github.djladapters.processor;

import static com.google.common.truth.Truth.assertThat;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import javax.annotation.processing.Filer;
import javax.annotation.processing.Messager;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.tools.Diagnostic;
import javax.tools.FileObject;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import org.junit.jupiter.api.Test;

/** Merging with a services file that an earlier, incremental compilation left in the class output. */
class ServicesFileTest {

    @Test
    void newEntriesMergeWithAnEarlierFileSortedWithoutRepeats() {
        MemoryFiler filer = new MemoryFiler();
        filer.existing.put(RuntimeTypes.SERVICES_FILE, "# earlier build\nz.Old_AdapterBindings\na.Kept_AdapterBindings\n");
        ServicesFile services = new ServicesFile();
        services.add("m.New_AdapterBindings");
        services.add("a.Kept_AdapterBindings");
        services.write(filer, new FailingMessager());
        assertThat(filer.created.get(RuntimeTypes.SERVICES_FILE).toString())
                .isEqualTo("a.Kept_AdapterBindings\nm.New_AdapterBindings\nz.Old_AdapterBindings\n");
    }

    @Test
    void cleanBuildWritesOnlyItsOwnEntries() {
        MemoryFiler filer = new MemoryFiler();
        ServicesFile services = new ServicesFile();
        services.add("b.B_AdapterBindings");
        services.add("a.A_AdapterBindings");
        services.write(filer, new FailingMessager());
        assertThat(filer.created.get(RuntimeTypes.SERVICES_FILE).toString())
                .isEqualTo("a.A_AdapterBindings\nb.B_AdapterBindings\n");
    }

    @Test
    void compilationWithoutBindingsLeavesTheFileAlone() {
        MemoryFiler filer = new MemoryFiler();
        new ServicesFile().write(filer, new FailingMessager());
        assertThat(filer.created).isEmpty();
    }

    /** Resources in memory: {@code existing} as if left by an earlier build, {@code created} by this one. */
    private static final class MemoryFiler implements Filer {
        final Map<String, String> existing = new HashMap<>();
        final Map<String, StringWriter> created = new HashMap<>();

        @Override
        public FileObject createResource(JavaFileManager.Location location, CharSequence moduleAndPkg,
                CharSequence relativeName, Element... originatingElements) {
            String name = relativeName.toString();
            return new SimpleJavaFileObject(URI.create("mem:///" + name), JavaFileObject.Kind.OTHER) {
                @Override
                public Writer openWriter() {
                    StringWriter writer = new StringWriter();
                    created.put(name, writer);
                    return writer;
                }
            };
        }

        @Override
        public FileObject getResource(JavaFileManager.Location location, CharSequence moduleAndPkg,
                CharSequence relativeName) throws IOException {
            String text = existing.get(relativeName.toString());
            if (text == null) {
                throw new FileNotFoundException(relativeName.toString());
            }
            return new SimpleJavaFileObject(URI.create("mem:///" + relativeName), JavaFileObject.Kind.OTHER) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return text;
                }
            };
        }

        @Override
        public JavaFileObject createSourceFile(CharSequence name, Element... originatingElements) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JavaFileObject createClassFile(CharSequence name, Element... originatingElements) {
            throw new UnsupportedOperationException();
        }
    }

    /** Fails the test on any diagnostic. */
    private static final class FailingMessager implements Messager {

        @Override
        public void printMessage(Diagnostic.Kind kind, CharSequence msg) {
            throw new AssertionError(msg);
        }

        @Override
        public void printMessage(Diagnostic.Kind kind, CharSequence msg, Element e) {
            throw new AssertionError(msg);
        }

        @Override
        public void printMessage(Diagnostic.Kind kind, CharSequence msg, Element e, AnnotationMirror a) {
            throw new AssertionError(msg);
        }

        @Override
        public void printMessage(Diagnostic.Kind kind, CharSequence msg, Element e, AnnotationMirror a,
                AnnotationValue v) {
            throw new AssertionError(msg);
        }
    }
}
