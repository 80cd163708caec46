package io.github.djladapters.processor;

import static com.google.common.truth.Truth.assertWithMessage;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import com.google.testing.compile.JavaFileObjects;
import javax.annotation.processing.Processor;
import javax.tools.JavaFileObject;

/**
 * Sources for processor tests: a small valid model in one file, and variants of it that change one
 * line, so each test shows exactly the mistake it makes.
 */
final class TinyModelSources {

    /** A complete, valid declaration: the model, one layer type, its attention and its MLP. */
    static final String VALID = """
            package tiny;

            import ai.djl.nn.AbstractBlock;
            import ai.djl.nn.Block;
            import io.github.djladapters.annotations.*;
            import java.util.List;

            @AdaptableModel(methods = {AdapterMethod.LORA})
            public abstract class TinyModel extends AbstractBlock {
                @Embeddings Block embedTokens;
                @Layers List<TinyLayer> layers;
            }

            abstract class TinyLayer extends AbstractBlock {
                @SelfAttention TinyAttention selfAttn;
                TinyMlp mlp;
            }

            abstract class TinyAttention extends AbstractBlock {
                @QProj Block qProj;
                @KProj Block kProj;
                @VProj Block vProj;
                @OProj Block oProj;
            }

            abstract class TinyMlp extends AbstractBlock {
                @IntermediateProj Block upProj;
                @OutputProj Block downProj;
            }
            """;

    private TinyModelSources() {}

    /** The valid model as {@code tiny/TinyModel.java}. */
    static JavaFileObject valid() {
        return JavaFileObjects.forSourceString("tiny.TinyModel", VALID);
    }

    /** The valid model with one piece of text replaced; fails when the text is not there. */
    static JavaFileObject changed(String from, String to) {
        assertWithMessage("the test changes text that the valid model contains").that(VALID).contains(from);
        return JavaFileObjects.forSourceString("tiny.TinyModel", VALID.replace(from, to));
    }

    /** Any source file. */
    static JavaFileObject source(String qualifiedName, String text) {
        return JavaFileObjects.forSourceString(qualifiedName, text);
    }

    /** Compiles with the adapter processor and any further processors. */
    static Compilation compile(JavaFileObject... sources) {
        return Compiler.javac().withProcessors(new AdapterProcessor()).compile(sources);
    }

    /** Compiles with the adapter processor after {@code others}. */
    static Compilation compileWith(Processor[] others, JavaFileObject... sources) {
        Processor[] all = new Processor[others.length + 1];
        System.arraycopy(others, 0, all, 0, others.length);
        all[others.length] = new AdapterProcessor();
        return Compiler.javac().withProcessors(all).compile(sources);
    }
}
