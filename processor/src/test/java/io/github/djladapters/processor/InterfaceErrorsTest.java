package io.github.djladapters.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static io.github.djladapters.processor.FieldModelErrorsTest.assertError;
import static io.github.djladapters.processor.TinyModelSources.compile;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import io.github.djladapters.annotations.AdapterMethod;
import java.io.File;
import java.net.URISyntaxException;
import java.util.List;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Mistakes in {@code @AdapterInterface} descriptors, role annotations on plain types, and a class
 * path without DJL. Each descriptor annotation sits on its own line so the tests can name the line.
 */
class InterfaceErrorsTest {

    /** A valid descriptor of the tiny model; tests replace one line of it. */
    private static final String DESCRIPTOR = """
            package tiny;

            import io.github.djladapters.annotations.*;

            @AdapterInterface(methods = {AdapterMethod.LORA}, target = TinyModel.class)
            @Embeddings("embed_tokens")
            @Layers("layers")
            @SelfAttention("self_attn")
            @QProj("q_proj")
            @KProj("k_proj")
            @VProj("v_proj")
            @OProj("o_proj")
            @IntermediateProj("mlp.up_proj")
            @OutputProj("mlp.down_proj")
            public interface TinyAdapters {}
            """;

    private static JavaFileObject descriptor(String from, String to) {
        com.google.common.truth.Truth.assertThat(DESCRIPTOR).contains(from);
        return TinyModelSources.source("tiny.TinyAdapters", DESCRIPTOR.replace(from, to));
    }

    private static Compilation compileWithModel(JavaFileObject descriptor) {
        return compile(TinyModelSources.valid(), descriptor);
    }

    @Test
    void validDescriptorCompilesWithoutWarnings() {
        assertThat(compileWithModel(descriptor("", ""))).succeededWithoutWarnings();
    }

    @Test
    void descriptorMissingARoleNamesIt() {
        JavaFileObject file = descriptor("@OutputProj(\"mlp.down_proj\")\n", "");
        assertError(compileWithModel(file), file, "[DJLA001] missing @OutputProj: TinyAdapters declares none",
                "@AdapterInterface(");
    }

    @Test
    void descriptorWithFusedAndSeparateProjectionsIsRejected() {
        JavaFileObject file = descriptor("@OProj(\"o_proj\")", "@OProj(\"o_proj\")\n@QKVProj(\"qkv\")");
        assertError(compileWithModel(file), file, "[DJLA003]", "@QKVProj(\"qkv\")");
    }

    @Test
    void descriptorWithSomeSeparateProjectionsIsRejected() {
        JavaFileObject file = descriptor("@KProj(\"k_proj\")\n", "");
        assertError(compileWithModel(file), file, "[DJLA004] TinyAdapters declares @QProj, @VProj but not @KProj",
                "@QProj(\"q_proj\")");
    }

    @Test
    void targetThatIsNotABlockIsRejected() {
        JavaFileObject file = descriptor("target = TinyModel.class", "target = String.class");
        assertError(compileWithModel(file), file, "[DJLA007] @AdapterInterface target has type java.lang.String",
                "target = String.class");
    }

    @Test
    void missingDjlIsOneClearError() throws URISyntaxException {
        File annotations = new File(AdapterMethod.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JavaFileObject plain = TinyModelSources.source("plain.Plain", """
                package plain;

                import io.github.djladapters.annotations.*;

                @AdaptableModel(methods = {})
                public class Plain {}
                """);
        Compilation compilation = Compiler.javac()
                .withProcessors(new AdapterProcessor())
                .withClasspath(List.of(annotations))
                .compile(plain);
        assertThat(compilation).hadErrorCount(1);
        assertThat(compilation).hadErrorContaining("[DJLA008] ai.djl.nn.Block is not on the compile class path")
                .inFile(plain).onLineContaining("public class Plain");
    }

    @Test
    void privateTargetTypeIsRejected() {
        JavaFileObject file = TinyModelSources.source("tiny.Outer", """
                package tiny;

                import io.github.djladapters.annotations.*;

                public class Outer {
                    private abstract static class Hidden extends TinyModel {}

                    @AdapterInterface(methods = {}, target = Hidden.class)
                    @Embeddings("embed_tokens") @Layers("layers") @SelfAttention("self_attn")
                    @QKVProj("c_attn") @OProj("o_proj") @IntermediateProj("mlp.up_proj") @OutputProj("mlp.down_proj")
                    interface Paths {}
                }
                """);
        assertError(compileWithModel(file), file, "[DJLA012] type tiny.Outer.Hidden is private", "target = Hidden.class");
    }

    @Test
    void bottleneckOnDescriptorWithoutPreSublayerHooksIsRejected() {
        JavaFileObject file = descriptor("methods = {AdapterMethod.LORA}", "methods = {AdapterMethod.BOTTLENECK}");
        assertError(compileWithModel(file), file, "[DJLA013] BOTTLENECK needs @PreSelfAttention, which TinyAdapters",
                "methods = {AdapterMethod.BOTTLENECK}");
    }

    @Test
    void adaptionPromptOnVisibleTargetNeedsKeyValueAttention() {
        JavaFileObject file = descriptor("methods = {AdapterMethod.LORA}", "methods = {AdapterMethod.ADAPTION_PROMPT}");
        assertError(compileWithModel(file), file, "[DJLA014] ADAPTION_PROMPT needs the self-attention type TinyAttention",
                "methods = {AdapterMethod.ADAPTION_PROMPT}");
    }

    @Test
    void adaptionPromptWithoutTargetIsLeftToRunTime() {
        JavaFileObject file = descriptor("methods = {AdapterMethod.LORA}, target = TinyModel.class",
                "methods = {AdapterMethod.ADAPTION_PROMPT}");
        assertThat(compile(file)).succeededWithoutWarnings();
    }

    @Test
    void pathThatMatchesNoFieldNamesTheSegmentAndTheFields() {
        JavaFileObject file = descriptor("@IntermediateProj(\"mlp.up_proj\")", "@IntermediateProj(\"mlp.gate_proj\")");
        assertError(compileWithModel(file), file, "[DJLA015] path \"mlp.gate_proj\" of @IntermediateProj does not "
                + "match tiny.TinyLayer: TinyMlp has no field 'gate_proj' (nor one whose snake_case is 'gate_proj'); "
                + "its fields are [upProj, downProj]", "@IntermediateProj(\"mlp.gate_proj\")");
    }

    @Test
    void pathsStopAtPlainBlockFields() {
        JavaFileObject model = TinyModelSources.changed("    TinyMlp mlp;", "    ai.djl.nn.Block mlp;\n    TinyMlp ffn;");
        JavaFileObject file = descriptor("@IntermediateProj(\"mlp.up_proj\")", "@IntermediateProj(\"mlp.anything\")");
        assertThat(compile(model, file)).succeededWithoutWarnings();
    }

    @Test
    void emptyPathOnADescriptorRoleIsRejected() {
        JavaFileObject file = descriptor("@OProj(\"o_proj\")", "@OProj");
        assertError(compileWithModel(file), file, "[DJLA016] @OProj on @AdapterInterface type TinyAdapters needs a path",
                "@OProj");
    }

    @Test
    void descriptorSplitWithNegativeSizeIsRejected() {
        JavaFileObject file = descriptor("@QProj(\"q_proj\")\n@KProj(\"k_proj\")\n@VProj(\"v_proj\")",
                "@QKVProj(value = \"c_attn\", qSize = 8, kSize = 8, vSize = -4)");
        assertError(compileWithModel(file), file, "[DJLA017]", "vSize = -4");
    }

    @Test
    void roleOnATypeWithoutAdapterInterfaceIsRejected() {
        JavaFileObject file = descriptor("@AdapterInterface(methods = {AdapterMethod.LORA}, target = TinyModel.class)\n",
                "");
        assertError(compileWithModel(file), file,
                "[DJLA018] @Embeddings on type tiny.TinyAdapters is a descriptor path and needs @AdapterInterface",
                "@Embeddings(\"embed_tokens\")");
    }
}
