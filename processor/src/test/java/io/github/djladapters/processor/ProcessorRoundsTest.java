package io.github.djladapters.processor;

import static com.google.common.truth.Truth.assertThat;
import static com.google.testing.compile.CompilationSubject.assertThat;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.TypeElement;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rounds, deferral and the services file across a whole compilation. */
class ProcessorRoundsTest {

    private static final String SERVICES = "META-INF/services/io.github.djladapters.runtime.bindings.ModelBindings";

    @Test
    void servicesFileListsEveryBindingsClassSorted() throws IOException {
        JavaFileObject descriptor = TinyModelSources.source("tiny.TinyAdapters", """
                package tiny;

                import io.github.djladapters.annotations.*;

                @AdapterInterface(methods = {AdapterMethod.LORA})
                @Embeddings("embed_tokens") @Layers("layers") @SelfAttention("self_attn")
                @QKVProj("c_attn") @OProj("o_proj") @IntermediateProj("mlp.up_proj") @OutputProj("mlp.down_proj")
                public interface TinyAdapters {}
                """);
        JavaFileObject second = TinyModelSources.source("another.AModel", TinyModelSources.VALID
                .replace("package tiny;", "package another;").replace("TinyModel", "AModel"));
        Compilation compilation = TinyModelSources.compile(TinyModelSources.valid(), descriptor, second);
        assertThat(compilation).succeededWithoutWarnings();
        JavaFileObject services = compilation.generatedFile(StandardLocation.CLASS_OUTPUT, SERVICES).orElseThrow();
        assertThat(services.getCharContent(true).toString()).isEqualTo("another.AModel_AdapterBindings\n"
                + "tiny.TinyAdapters_AdapterBindings\n"
                + "tiny.TinyModel_AdapterBindings\n");
    }

    @Test
    void declarationWaitsForATypeAnotherProcessorGenerates() {
        JavaFileObject model = TinyModelSources.changed("    TinyMlp mlp;", "    GeneratedMlp mlp;");
        Compilation compilation = TinyModelSources.compileWith(new Processor[] {new GeneratesMlp()}, model);
        assertThat(compilation).succeededWithoutWarnings();
        assertThat(compilation).generatedSourceFile("tiny.TinyModel_AdapterBindings").contentsAsUtf8String()
                .contains("GeneratedMlp owner = layerBlock.mlp;");
    }

    @Test
    void servicesFileThatCannotBeWrittenIsReported() {
        Compilation compilation = TinyModelSources.compileWith(new Processor[] {new ClaimsServicesFile()},
                TinyModelSources.valid());
        assertThat(compilation).hadErrorContaining("[DJLA025] could not write " + SERVICES);
    }

    @Test
    void declarationWithErrorsGeneratesNothing(@TempDir Path out) throws IOException {
        Path sources = Files.createDirectories(out.resolve("src/tiny"));
        Files.writeString(sources.resolve("TinyModel.java"), TinyModelSources.VALID
                .replace("@QProj Block qProj;", "@QProj private Block qProj;"), StandardCharsets.UTF_8);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        var files = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8);
        Files.createDirectories(out.resolve("classes"));
        Files.createDirectories(out.resolve("generated"));
        files.setLocationFromPaths(StandardLocation.CLASS_OUTPUT, List.of(out.resolve("classes")));
        files.setLocationFromPaths(StandardLocation.SOURCE_OUTPUT, List.of(out.resolve("generated")));
        var diagnostics = new DiagnosticCollector<JavaFileObject>();
        var task = javac.getTask(new StringWriter(), files, diagnostics, List.of("-classpath", System.getProperty("java.class.path")),
                null, files.getJavaFileObjects(sources.resolve("TinyModel.java")));
        task.setProcessors(List.of(new AdapterProcessor()));
        assertThat(task.call()).isFalse();
        assertThat(diagnostics.getDiagnostics().toString()).contains("[DJLA005]");
        try (Stream<Path> generated = Files.walk(out.resolve("generated"))) {
            assertThat(generated.filter(Files::isRegularFile).collect(Collectors.toList())).isEmpty();
        }
        assertThat(Files.exists(out.resolve("classes").resolve(SERVICES))).isFalse();
    }

    @Test
    void errorInALibraryClassIsReportedOnTheUsersDeclaration(@TempDir Path out) throws IOException {
        JavaFileObject library = TinyModelSources.source("lib.LibAttention", """
                package lib;

                import ai.djl.nn.Block;
                import io.github.djladapters.annotations.*;

                public abstract class LibAttention extends ai.djl.nn.AbstractBlock {
                    @QProj private Block qProj;
                    @KProj public Block kProj;
                    @VProj public Block vProj;
                    @OProj public Block oProj;
                }
                """);
        Compilation libraryBuild = Compiler.javac().compile(library);
        assertThat(libraryBuild).succeeded();
        for (JavaFileObject file : libraryBuild.generatedFiles()) {
            Path target = out.resolve(file.toUri().getPath().substring("/CLASS_OUTPUT/".length()));
            Files.createDirectories(target.getParent());
            try (InputStream in = file.openInputStream()) {
                Files.copy(in, target);
            }
        }
        List<File> classPath = new ArrayList<>(List.of(out.toFile()));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            classPath.add(new File(entry));
        }
        JavaFileObject model = TinyModelSources.changed("@SelfAttention TinyAttention selfAttn;",
                "@SelfAttention lib.LibAttention selfAttn;");
        Compilation compilation = Compiler.javac().withProcessors(new AdapterProcessor()).withClasspath(classPath)
                .compile(model);
        assertThat(compilation).hadErrorContaining("[DJLA005] @QProj field LibAttention.qProj is private")
                .inFile(model).onLineContaining("@AdaptableModel(");
    }

    /** Generates {@code tiny.GeneratedMlp} in the first round, as another annotation processor might. */
    private static final class GeneratesMlp extends AbstractProcessor {
        private boolean done;

        @Override
        public Set<String> getSupportedAnnotationTypes() {
            return Set.of("*");
        }

        @Override
        public SourceVersion getSupportedSourceVersion() {
            return SourceVersion.latestSupported();
        }

        @Override
        public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
            if (done) {
                return false;
            }
            done = true;
            try (Writer writer = processingEnv.getFiler().createSourceFile("tiny.GeneratedMlp").openWriter()) {
                writer.write("""
                        package tiny;

                        import ai.djl.nn.Block;
                        import io.github.djladapters.annotations.*;

                        abstract class GeneratedMlp extends ai.djl.nn.AbstractBlock {
                            @IntermediateProj Block upProj;
                            @OutputProj Block downProj;
                        }
                        """);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return false;
        }
    }

    /** Writes the services file first, so the adapter processor cannot create it again. */
    private static final class ClaimsServicesFile extends AbstractProcessor {
        private boolean done;

        @Override
        public Set<String> getSupportedAnnotationTypes() {
            return Set.of("*");
        }

        @Override
        public SourceVersion getSupportedSourceVersion() {
            return SourceVersion.latestSupported();
        }

        @Override
        public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
            if (!done) {
                done = true;
                try (Writer writer = processingEnv.getFiler()
                        .createResource(StandardLocation.CLASS_OUTPUT, "", SERVICES).openWriter()) {
                    writer.write("other.Bindings\n");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return false;
        }
    }
}
