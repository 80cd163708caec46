package io.github.djladapters.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static io.github.djladapters.processor.TinyModelSources.changed;
import static io.github.djladapters.processor.TinyModelSources.compile;

import com.google.testing.compile.Compilation;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Mistakes in {@code @AdaptableModel} classes: each test changes one line of the valid tiny model and
 * checks the message id, the file and the line the error points at.
 */
class FieldModelErrorsTest {

    @Test
    void validModelCompilesWithoutWarnings() {
        assertThat(compile(TinyModelSources.valid())).succeededWithoutWarnings();
    }

    @Test
    void missingEmbeddingsIsReportedOnTheModel() {
        JavaFileObject model = changed("@Embeddings Block embedTokens;", "Block embedTokens;");
        assertError(compile(model), model, "[DJLA001] missing @Embeddings", "@AdaptableModel(");
    }

    @Test
    void missingLayerRoleIsReportedOnTheLayersField() {
        JavaFileObject model = changed("@IntermediateProj Block upProj;", "Block upProj;");
        assertError(compile(model), model, "[DJLA001] missing @IntermediateProj: layer type TinyLayer",
                "@Layers List<TinyLayer> layers;");
    }

    @Test
    void missingProjectionsAreReportedOnTheAttentionField() {
        JavaFileObject model = changed("@QProj Block qProj;\n    @KProj Block kProj;\n    @VProj Block vProj;",
                "Block qProj;");
        assertError(compile(model), model, "[DJLA001] missing @QProj, @KProj and @VProj (or @QKVProj)",
                "@SelfAttention TinyAttention selfAttn;");
    }

    @Test
    void roleDeclaredTwiceInOneScopeNamesBothFields() {
        JavaFileObject model = changed("@OutputProj Block downProj;", "@OutputProj Block downProj;\n    @OutputProj Block extraProj;");
        assertError(compile(model), model, "[DJLA002] @OutputProj is declared twice in one layer: mlp.downProj and mlp.extraProj",
                "@OutputProj Block extraProj;");
    }

    @Test
    void fusedProjectionNextToSeparateOnesIsRejected() {
        JavaFileObject model = changed("@OProj Block oProj;", "@OProj Block oProj;\n    @QKVProj Block qkv;");
        assertError(compile(model), model, "[DJLA003]", "@QKVProj Block qkv;");
    }

    @Test
    void someButNotAllSeparateProjectionsAreRejected() {
        JavaFileObject model = changed("@VProj Block vProj;", "Block vProj;");
        assertError(compile(model), model, "[DJLA004] TinyAttention declares @QProj, @KProj but not @VProj",
                "@QProj Block qProj;");
    }

    @Test
    void privateRoleFieldIsRejected() {
        JavaFileObject model = changed("@QProj Block qProj;", "@QProj private Block qProj;");
        assertError(compile(model), model, "[DJLA005] @QProj field TinyAttention.qProj is private", "private Block qProj;");
    }

    @Test
    void finalRoleFieldIsRejected() {
        JavaFileObject model = changed("@OProj Block oProj;", "@OProj final Block oProj = null;");
        assertError(compile(model), model, "[DJLA006] @OProj field TinyAttention.oProj is final", "final Block oProj");
    }

    @Test
    void roleFieldThatIsNotABlockIsRejected() {
        JavaFileObject model = changed("@Embeddings Block embedTokens;", "@Embeddings String embedTokens;");
        assertError(compile(model), model, "[DJLA007] @Embeddings field TinyModel.embedTokens has type java.lang.String",
                "@Embeddings String embedTokens;");
    }

    @Test
    void layersThatAreNotAListOfBlocksAreRejected() {
        JavaFileObject model = changed("@Layers List<TinyLayer> layers;", "@Layers List<String> layers;");
        assertError(compile(model), model, "[DJLA009] @Layers field TinyModel.layers has type java.util.List<java.lang.String>",
                "@Layers List<String> layers;");
    }

    @Test
    void replaceableRoleDeclaredAsConcreteBlockTypeIsRejected() {
        JavaFileObject model = changed("@OutputProj Block downProj;", "@OutputProj ai.djl.nn.core.Linear downProj;");
        assertError(compile(model), model, "[DJLA010] @OutputProj field TinyMlp.downProj is declared as ai.djl.nn.core.Linear",
                "ai.djl.nn.core.Linear downProj;");
    }

    @Test
    void privatePlainFieldOnTheWayToARoleIsRejected() {
        JavaFileObject model = changed("    TinyMlp mlp;", "    private TinyMlp mlp;");
        assertError(compile(model), model, "[DJLA011] field TinyLayer.mlp on the way to @IntermediateProj is private",
                "private TinyMlp mlp;");
    }

    @Test
    void packagePrivateFieldInAnotherPackageIsRejected() {
        JavaFileObject model = changed("    TinyMlp mlp;", "    other.OtherMlp mlp;");
        JavaFileObject otherMlp = TinyModelSources.source("other.OtherMlp", """
                package other;

                import ai.djl.nn.Block;
                import io.github.djladapters.annotations.*;

                public abstract class OtherMlp extends ai.djl.nn.AbstractBlock {
                    @IntermediateProj public Block upProj;
                    @OutputProj Block downProj;
                }
                """);
        assertError(compile(model, otherMlp), otherMlp,
                "[DJLA011] field OtherMlp.downProj on the way to @OutputProj is package-private in package other",
                "@OutputProj Block downProj;");
    }

    @Test
    void privateTypeOnTheWayToARoleIsRejected() {
        JavaFileObject model = changed("    TinyMlp mlp;\n}", """
                    Hidden mlp;

                    private abstract static class Hidden extends TinyMlp {}
                }""");
        assertError(compile(model), model, "[DJLA012] type tiny.TinyLayer.Hidden is private", "Hidden mlp;");
    }

    @Test
    void bottleneckWithoutPreSublayerHooksNamesTheMissingRole() {
        JavaFileObject model = changed("methods = {AdapterMethod.LORA}", "methods = {AdapterMethod.LORA, AdapterMethod.BOTTLENECK}");
        Compilation compilation = compile(model);
        assertError(compilation, model, "[DJLA013] BOTTLENECK needs @PreSelfAttention", "AdapterMethod.BOTTLENECK}");
        assertError(compilation, model, "[DJLA013] BOTTLENECK needs @PreFfn", "AdapterMethod.BOTTLENECK}");
    }

    @Test
    void prefixTuningNeedsAttentionThatExposesKeysAndValues() {
        JavaFileObject model = changed("methods = {AdapterMethod.LORA}", "methods = {AdapterMethod.PREFIX_TUNING}");
        assertError(compile(model), model,
                "[DJLA014] PREFIX_TUNING needs the self-attention type TinyAttention to implement "
                        + "io.github.djladapters.runtime.architecture.KeyValueAttention",
                "methods = {AdapterMethod.PREFIX_TUNING}");
    }

    @Test
    void prefixTuningIsAcceptedForKeyValueAttention() {
        JavaFileObject model = TinyModelSources.source("tiny.TinyModel", TinyModelSources.VALID
                .replace("methods = {AdapterMethod.LORA}",
                        "methods = {AdapterMethod.PREFIX_TUNING, AdapterMethod.ADAPTION_PROMPT}")
                .replace("abstract class TinyAttention extends AbstractBlock {", "abstract class TinyAttention"
                        + " extends AbstractBlock implements io.github.djladapters.runtime.architecture.KeyValueAttention {"));
        assertThat(compile(model)).succeededWithoutWarnings();
    }

    @Test
    void fusedProjectionWithSomeSizesIsRejected() {
        JavaFileObject model = changed("@QProj Block qProj;\n    @KProj Block kProj;\n    @VProj Block vProj;",
                "@QKVProj(qSize = 8, kSize = 0, vSize = 8) Block qkv;");
        assertError(compile(model), model, "[DJLA017] @QKVProj sizes must be all -1 (equal thirds) or all positive; "
                + "got qSize=8, kSize=0, vSize=8", "@QKVProj(qSize = 8, kSize = 0");
    }

    @Test
    void crossAttentionWithoutItsOwnProjectionsIsRejected() {
        JavaFileObject model = changed("    TinyMlp mlp;\n}", """
                    TinyMlp mlp;
                    @CrossAttention TinyCross crossAttn;
                }

                abstract class TinyCross extends AbstractBlock {
                    @OProj Block o;
                }""");
        assertError(compile(model), model, "[DJLA019] @CrossAttention field TinyLayer.crossAttn: TinyCross has no "
                + "@QProj, @KProj and @VProj (or @QKVProj) of its own", "@CrossAttention TinyCross crossAttn;");
    }

    @Test
    void projectionOutsideAnyAttentionBlockIsRejected() {
        JavaFileObject model = changed("@OutputProj Block downProj;", "@OutputProj Block downProj;\n    @QProj Block stray;");
        assertError(compile(model), model, "[DJLA020] @QProj on TinyMlp.stray is outside every @SelfAttention",
                "@QProj Block stray;");
    }

    @Test
    void pathOnAFieldRoleIsRejected() {
        JavaFileObject model = changed("@OProj Block oProj;", "@OProj(\"o_proj\") Block oProj;");
        assertError(compile(model), model, "[DJLA021] @OProj on field TinyAttention.oProj takes no path", "@OProj(\"o_proj\")");
    }

    @Test
    void typeThatNoProcessorGeneratesIsReportedAtTheEnd() {
        JavaFileObject model = changed("    TinyMlp mlp;", "    TinyMlp mlp;\n    NeverGenerated later;");
        assertError(compile(model), model, "[DJLA022] cannot check tiny.TinyModel: type NeverGenerated was not found",
                "public abstract class TinyModel");
    }

    @Test
    void bothDeclarationFormsOnOneTypeAreRejected() {
        JavaFileObject model = changed("@AdaptableModel(methods = {AdapterMethod.LORA})",
                "@AdaptableModel(methods = {AdapterMethod.LORA})\n@AdapterInterface(methods = {AdapterMethod.LORA})");
        assertError(compile(model), model, "[DJLA023] tiny.TinyModel is annotated with both", "@AdaptableModel(");
    }

    @Test
    void genericModelClassIsRejected() {
        JavaFileObject model = changed("public abstract class TinyModel extends", "public abstract class TinyModel<T> extends");
        assertError(compile(model), model, "[DJLA024] model type tiny.TinyModel has type parameters", "@AdaptableModel(");
    }

    static void assertError(Compilation compilation, JavaFileObject file, String message, String line) {
        assertThat(compilation).failed();
        assertThat(compilation).hadErrorContaining(message).inFile(file).onLineContaining(line);
    }
}
