package io.github.djladapters.processor;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.TypeName;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeMirror;

/**
 * The field accesses that lead from a root (the model, or one layer) to a part, such as
 * {@code encoder.layers.get(layer).attention.self.query}. Immutable; {@link #then} returns a longer
 * chain.
 */
final class FieldChain {

    /** How a link reads its field. */
    enum Indexing {
        /** {@code owner.field} */
        NONE,
        /** {@code owner.field.get(layer)}, the layer list */
        LIST,
        /** {@code owner.field[layer]}, the layer array */
        ARRAY
    }

    /**
     * One field access.
     *
     * @param field the field read
     * @param ownerType the type of the expression the field is read from
     * @param indexing whether the field is the layer list and is indexed by the layer
     * @param valueType the field's type, or the layer type when the link is indexed
     */
    record Link(VariableElement field, TypeName ownerType, Indexing indexing, TypeMirror valueType) {
        String name() {
            return field.getSimpleName().toString();
        }
    }

    private final TypeName endType;
    private final List<Link> links;

    private FieldChain(TypeName endType, List<Link> links) {
        this.endType = endType;
        this.links = List.copyOf(links);
    }

    /** An empty chain from a root of the given type. */
    static FieldChain startingAt(TypeName rootType) {
        return new FieldChain(rootType, List.of());
    }

    /**
     * This chain followed by one more field of the type this chain ends at.
     *
     * @param valueType the field's type, or the element type when the link is indexed
     */
    FieldChain then(VariableElement field, TypeMirror valueType, Indexing indexing) {
        List<Link> longer = new ArrayList<>(links);
        longer.add(new Link(field, endType, indexing, valueType));
        return new FieldChain(TypeName.get(valueType), longer);
    }

    /** The type the chain ends at: the root's type, the last field's type, or a layer's type. */
    TypeName typeAtEnd() {
        return endType;
    }

    List<Link> links() {
        return links;
    }

    Link last() {
        return links.get(links.size() - 1);
    }

    /** This chain followed by all links of {@code rest}, which starts where this one ends. */
    FieldChain append(FieldChain rest) {
        List<Link> longer = new ArrayList<>(links);
        longer.addAll(rest.links);
        return new FieldChain(rest.endType, longer);
    }

    /** The expression that reads the end of the chain, e.g. {@code model.encoder.layers.get(layer)}. */
    CodeBlock read(String root, String index) {
        return read(root, index, links.size());
    }

    /** The expression that reads the object holding the last field, e.g. {@code current.selfAttn}. */
    CodeBlock readOwner(String root, String index) {
        return read(root, index, links.size() - 1);
    }

    /** The size of the indexed list or array this chain ends at: {@code model.layers.size()}. */
    CodeBlock count(String root) {
        CodeBlock owner = readOwner(root, null);
        return CodeBlock.of(last().indexing() == Indexing.ARRAY ? "$L.$N.length" : "$L.$N.size()", owner, last().name());
    }

    private CodeBlock read(String root, String index, int length) {
        CodeBlock.Builder code = CodeBlock.builder().add("$N", root);
        for (Link link : links.subList(0, length)) {
            code.add(".$N", link.name());
            if (link.indexing() == Indexing.LIST) {
                code.add(".get($N)", index);
            } else if (link.indexing() == Indexing.ARRAY) {
                code.add("[$N]", index);
            }
        }
        return code.build();
    }

    /** The chain for messages and {@code declaredAt}: {@code encoder.layers[].selfAttn.qProj}. */
    String describe() {
        StringBuilder text = new StringBuilder();
        for (Link link : links) {
            text.append(text.length() == 0 ? "" : ".").append(link.name());
            text.append(link.indexing() == Indexing.NONE ? "" : "[]");
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
