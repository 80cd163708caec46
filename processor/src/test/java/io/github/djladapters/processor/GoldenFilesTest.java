package io.github.djladapters.processor;

import static com.google.common.truth.Truth.assertThat;
import static com.google.testing.compile.CompilationSubject.assertThat;

import com.google.testing.compile.Compilation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;
import org.junit.jupiter.api.Test;

/**
 * The generated source of each shape, compared with checked-in files under {@code golden/} so
 * reviewers read what users get. Run with {@code -Dgolden.update=true} to rewrite them.
 */
class GoldenFilesTest {

    @Test
    void separateProjectionsGenerateFieldBindings() {
        Compilation compilation = TinyModelSources.compile(TinyModelSources.valid());
        assertMatchesGolden(compilation, "tiny.TinyModel_AdapterBindings", "TinyModel_AdapterBindings.java");
    }

    @Test
    void fusedProjectionWithExplicitSplitGeneratesFieldBindings() {
        JavaFileObject model = TinyModelSources.source("gpt.GptModel", """
                package gpt;

                import ai.djl.nn.AbstractBlock;
                import ai.djl.nn.Block;
                import io.github.djladapters.annotations.*;

                @AdaptableModel(methods = {AdapterMethod.LORA, AdapterMethod.BOTTLENECK, AdapterMethod.PROMPT_TUNING})
                public abstract class GptModel extends AbstractBlock {
                    GptBody transformer;

                    public abstract static class GptBody extends AbstractBlock {
                        @Embeddings Block wte;
                        @Layers GptBlock[] h;
                    }
                }

                abstract class GptBlock extends AbstractBlock {
                    @PreSelfAttention @LayerNorm1 Block ln1;
                    @SelfAttention GptAttention attn;
                    @PreFfn @LayerNorm2 Block ln2;
                    @IntermediateProj Block cFc;
                    @OutputProj Block cProj;
                }

                abstract class GptAttention extends AbstractBlock {
                    @QKVProj(qSize = 64, kSize = 16, vSize = 16) Block cAttn;
                    @OProj Block cProj;
                }
                """);
        Compilation compilation = TinyModelSources.compile(model);
        assertMatchesGolden(compilation, "gpt.GptModel_AdapterBindings", "GptModel_AdapterBindings.java");
    }

    @Test
    void crossAttentionGeneratesCrossSites() {
        JavaFileObject model = TinyModelSources.source("t5.T5Decoder", """
                package t5;

                import ai.djl.nn.AbstractBlock;
                import ai.djl.nn.Block;
                import io.github.djladapters.annotations.*;
                import java.util.List;

                @AdaptableModel(methods = {AdapterMethod.LORA})
                public abstract class T5Decoder extends AbstractBlock {
                    @Embeddings Block embedTokens;
                    @Layers List<? extends T5Block> block;
                }

                abstract class T5Block extends AbstractBlock {
                    @SelfAttention T5Attention selfAttention;
                    @CrossAttention T5Attention encDecAttention;
                    @PreCrossAttention Block crossLayerNorm;
                    T5Ffn ff;
                }

                abstract class T5Attention extends AbstractBlock {
                    @QProj Block q;
                    @KProj Block k;
                    @VProj Block v;
                    @OProj Block o;
                }

                abstract class T5Ffn extends AbstractBlock {
                    @IntermediateProj Block wi;
                    @OutputProj Block wo;
                }
                """);
        Compilation compilation = TinyModelSources.compile(model);
        assertMatchesGolden(compilation, "t5.T5Decoder_AdapterBindings", "T5Decoder_AdapterBindings.java");
    }

    @Test
    void descriptorWithTargetGeneratesInterfaceBindings() {
        JavaFileObject descriptor = TinyModelSources.source("tiny.TinyAdapters", """
                package tiny;

                import io.github.djladapters.annotations.*;

                @AdapterInterface(methods = {AdapterMethod.LORA, AdapterMethod.REFT}, target = TinyModel.class)
                @Embeddings("embed_tokens") @Layers("layers") @SelfAttention("self_attn")
                @QProj("q_proj") @KProj("k_proj") @VProj("v_proj") @OProj("o_proj")
                @IntermediateProj("mlp.up_proj") @OutputProj("mlp.down_proj")
                public interface TinyAdapters {}
                """);
        Compilation compilation = TinyModelSources.compile(TinyModelSources.valid(), descriptor);
        assertMatchesGolden(compilation, "tiny.TinyAdapters_AdapterBindings", "TinyAdapters_AdapterBindings.java");
    }

    @Test
    void descriptorWithoutTargetGeneratesBlockBindings() {
        JavaFileObject descriptor = TinyModelSources.source("gemma.Gemma2Adapters", """
                package gemma;

                import io.github.djladapters.annotations.*;

                public final class Gemma2Adapters {
                    @AdapterInterface(methods = {AdapterMethod.LORA, AdapterMethod.BOTTLENECK})
                    @Embeddings("model.embed_tokens") @Layers("model.layers") @SelfAttention("self_attn")
                    @QKVProj(value = "qkv_proj", qSize = 2048, kSize = 512, vSize = 512) @OProj("o_proj")
                    @IntermediateProj("mlp.up_proj") @OutputProj("mlp.down_proj")
                    @PreSelfAttention("input_layernorm") @PreFfn("pre_feedforward_layernorm")
                    @LayerNorm1("post_attention_layernorm") @LayerNorm2("post_feedforward_layernorm")
                    public interface Paths {}
                }
                """);
        Compilation compilation = TinyModelSources.compile(descriptor);
        assertMatchesGolden(compilation, "gemma.Gemma2Adapters_Paths_AdapterBindings",
                "Gemma2Adapters_Paths_AdapterBindings.java");
    }

    static void assertMatchesGolden(Compilation compilation, String generatedClass, String golden) {
        assertThat(compilation).succeededWithoutWarnings();
        JavaFileObject generated = compilation
                .generatedFile(StandardLocation.SOURCE_OUTPUT, generatedClass.replace('.', '/') + ".java")
                .orElseThrow();
        String actual = contents(generated);
        if (Boolean.getBoolean("golden.update")) {
            write(Paths.get("src/test/resources/golden", golden), actual);
        }
        assertThat(actual).isEqualTo(readGolden(golden));
    }

    static String readGolden(String name) {
        Path path = Paths.get("src/test/resources/golden", name);
        if (!Files.exists(path)) {
            throw new AssertionError("no golden file " + path + "; run with -Dgolden.update=true");
        }
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String contents(JavaFileObject file) {
        try {
            return file.getCharContent(true).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path path, String text) {
        try {
            Files.createDirectories(path.getParent());
            Files.writeString(path, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
