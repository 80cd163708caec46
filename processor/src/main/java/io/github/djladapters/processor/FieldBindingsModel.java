package io.github.djladapters.processor;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.TypeName;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@link FieldBindingsWriter} needs to write the bindings of one {@code @AdaptableModel}
 * class, read and checked by {@link FieldModelReader}. Immutable; sites iterate in the order of the
 * runtime's {@code Site} enum.
 *
 * @param model the model class
 * @param bindings the class to generate
 * @param methods names of the supported {@code AdapterMethod}s, in enum order
 * @param embeddings the chain from the model to the embeddings field
 * @param layers the chain from the model to one layer (its last link is indexed)
 * @param layerType the type of one layer
 * @param sites for each declared site, the chain from one layer to its field
 * @param qkvSplits the split of each fused qkv site
 */
record FieldBindingsModel(
        ClassName model,
        ClassName bindings,
        List<String> methods,
        FieldChain embeddings,
        FieldChain layers,
        TypeName layerType,
        Map<SiteName, FieldChain> sites,
        Map<SiteName, QkvSizes> qkvSplits) {

    FieldBindingsModel {
        methods = List.copyOf(methods);
        sites = sites.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(sites));
        qkvSplits = qkvSplits.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(qkvSplits));
    }

    /** Where a site is declared, from the model: {@code layers[].selfAttn.qProj}. */
    String declaredAt(SiteName site) {
        return layers.append(sites.get(site)).describe();
    }
}
