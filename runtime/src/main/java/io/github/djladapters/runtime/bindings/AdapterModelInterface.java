package io.github.djladapters.runtime.bindings;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.annotations.AdapterMethod;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where the parts of a model are, as dotted DJL child-name paths: the Java form of the Python
 * {@code adapters.AdapterModelInterface}, for models known only at run time. Model-level paths are
 * relative to the model, layer paths to one layer, {@code attn_*} paths to the attention block.
 * The JSON form uses the Python field names, plus our optional {@code attn_qkv_split}.
 *
 * <pre>{@code
 * AdapterModelInterface gemma2 = AdapterModelInterface.builder()
 *         .adapterMethods(AdapterMethod.LORA, AdapterMethod.REFT)
 *         .modelEmbeddings("embed_tokens").modelLayers("layers").layerSelfAttn("self_attn")
 *         .attnQProj("q_proj").attnKProj("k_proj").attnVProj("v_proj").attnOProj("o_proj")
 *         .layerIntermediateProj("mlp.up_proj").layerOutputProj("mlp.down_proj")
 *         .build();
 * AdapterModel<MyModel> bound = Adapters.init(model, gemma2);
 * }</pre>
 *
 * <p>Instances are immutable and always valid: {@link Builder#build()} and {@link #fromJson}
 * reject an incomplete or contradictory interface with a message naming the JSON fields.
 */
public final class AdapterModelInterface {

    static final String ADAPTER_METHODS = "adapter_methods";
    static final String QKV_SPLIT = "attn_qkv_split";
    static final String MODEL_EMBEDDINGS = "model_embeddings";
    static final String MODEL_LAYERS = "model_layers";
    static final String SELF_ATTN = "layer_self_attn";
    static final String CROSS_ATTN = "layer_cross_attn";
    static final String Q_PROJ = "attn_q_proj";
    static final String K_PROJ = "attn_k_proj";
    static final String V_PROJ = "attn_v_proj";
    static final String O_PROJ = "attn_o_proj";
    static final String QKV_PROJ = "attn_qkv_proj";
    static final String LN_1 = "layer_ln_1";
    static final String LN_2 = "layer_ln_2";

    /** The path fields in the order of the Python dataclass; JSON is written in this order. */
    static final List<String> PATH_FIELDS = List.of(MODEL_EMBEDDINGS, MODEL_LAYERS, SELF_ATTN, CROSS_ATTN,
            K_PROJ, Q_PROJ, V_PROJ, O_PROJ, QKV_PROJ, "layer_intermediate_proj", "layer_output_proj",
            "layer_pre_self_attn", "layer_pre_cross_attn", "layer_pre_ffn", LN_1, LN_2);

    static final List<String> REQUIRED = List.of(MODEL_EMBEDDINGS, MODEL_LAYERS, SELF_ATTN, O_PROJ,
            "layer_intermediate_proj", "layer_output_proj");

    private final List<AdapterMethod> adapterMethods;
    private final Map<String, String> paths;
    private final QkvSplit qkvSplit;

    private AdapterModelInterface(Builder builder) {
        this.adapterMethods = List.copyOf(builder.methods);
        this.paths = Collections.unmodifiableMap(new LinkedHashMap<>(builder.paths));
        this.qkvSplit = builder.qkvSplit;
    }

    /**
     * Starts an interface.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads an interface from a JSON file with the Python field names.
     *
     * @param file the JSON file
     * @return the interface
     * @throws IllegalArgumentException naming the file and the field when the file cannot be read,
     *     is not valid JSON or describes an invalid interface
     */
    public static AdapterModelInterface fromJson(Path file) {
        return InterfaceJson.read(file);
    }

    /**
     * Reads an interface from JSON text with the Python field names.
     *
     * @param json the JSON text, for example {@code {"adapter_methods": ["lora"], ...}}
     * @return the interface
     * @throws IllegalArgumentException naming the field when the text is not valid JSON or
     *     describes an invalid interface
     */
    public static AdapterModelInterface fromJson(String json) {
        return InterfaceJson.read(json);
    }

    /**
     * Reads an interface from a Jackson tree; lets Jackson read this type inside other documents.
     *
     * @param node a JSON object with the Python field names
     * @return the interface
     * @throws IllegalArgumentException naming the field when the object is invalid
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static AdapterModelInterface fromTree(JsonNode node) {
        return InterfaceJson.fromTree(node, "adapter model interface");
    }

    /**
     * This interface as pretty-printed JSON with the Python field names; absent Python fields are
     * written as {@code null}, {@code attn_qkv_split} only when set.
     *
     * @return the JSON text
     */
    public String toJson() {
        return InterfaceJson.write(this);
    }

    /**
     * This interface as a Jackson tree, in the form {@link #toJson()} writes.
     *
     * @return a JSON object
     */
    @JsonValue
    public ObjectNode toTree() {
        return InterfaceJson.toTree(this);
    }

    /**
     * The adapter methods this interface supports, in the order given, without duplicates.
     *
     * @return an unmodifiable list
     */
    public List<AdapterMethod> adapterMethods() {
        return adapterMethods;
    }

    /**
     * The path stored under a Python field name.
     *
     * @param field a field name such as {@code "attn_q_proj"}
     * @return the path, or empty when the field is not set
     * @throws IllegalArgumentException when {@code field} is not a path field
     */
    public Optional<String> path(String field) {
        if (!PATH_FIELDS.contains(field)) {
            throw new IllegalArgumentException("'" + field + "' is not a path field; path fields are " + PATH_FIELDS);
        }
        return Optional.ofNullable(paths.get(field));
    }

    /**
     * The path of a site relative to its {@link Site#scope() scope}. Cross-attention sites exist only
     * when {@code layer_cross_attn} is set; they reuse the {@code attn_*} paths.
     *
     * @param site a site
     * @return the path, or empty when this interface does not name the site
     */
    public Optional<String> pathOf(Site site) {
        if (site.scope() == Site.Scope.CROSS_ATTENTION && !paths.containsKey(CROSS_ATTN)) {
            return Optional.empty();
        }
        return Optional.ofNullable(paths.get(site.interfaceKey()));
    }

    /**
     * The sites this interface names, in {@link Site} order.
     *
     * @return an unmodifiable set
     */
    public Set<Site> sites() {
        Set<Site> sites = EnumSet.noneOf(Site.class);
        for (Site site : Site.values()) {
            pathOf(site).ifPresent(path -> sites.add(site));
        }
        return Collections.unmodifiableSet(sites);
    }

    /**
     * The path of the embeddings, relative to the model ({@code model_embeddings}).
     *
     * @return the path
     */
    public String modelEmbeddings() {
        return paths.get(MODEL_EMBEDDINGS);
    }

    /**
     * The path of the block whose children are the layers, in order ({@code model_layers}).
     *
     * @return the path
     */
    public String modelLayers() {
        return paths.get(MODEL_LAYERS);
    }

    /**
     * How the fused projection splits ({@code attn_qkv_split}).
     *
     * @return the explicit split, or empty for equal thirds (or no fused projection)
     */
    public Optional<QkvSplit> attnQkvSplit() {
        return Optional.ofNullable(qkvSplit);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AdapterModelInterface that && adapterMethods.equals(that.adapterMethods)
                && paths.equals(that.paths) && Objects.equals(qkvSplit, that.qkvSplit);
    }

    @Override
    public int hashCode() {
        return Objects.hash(adapterMethods, paths, qkvSplit);
    }

    @Override
    public String toString() {
        return "AdapterModelInterface" + toTree();
    }

    /**
     * Collects the fields of an {@link AdapterModelInterface}. Setters take paths relative to the
     * scope their Python field names (model, layer, attention block); {@code null} clears a field.
     */
    public static final class Builder {
        private final Set<AdapterMethod> methods = new LinkedHashSet<>();
        private final Map<String, String> paths = new LinkedHashMap<>();
        private QkvSplit qkvSplit;

        private Builder() {}

        /**
         * Sets the supported adapter methods ({@code adapter_methods}).
         *
         * @param methods the methods
         * @return this builder
         */
        public Builder adapterMethods(AdapterMethod... methods) {
            return adapterMethods(Arrays.asList(methods));
        }

        /**
         * Sets the supported adapter methods ({@code adapter_methods}).
         *
         * @param methods the methods
         * @return this builder
         */
        public Builder adapterMethods(Collection<AdapterMethod> methods) {
            this.methods.clear();
            for (AdapterMethod method : methods) {
                this.methods.add(Objects.requireNonNull(method, "adapter_methods must not contain null"));
            }
            return this;
        }

        /**
         * Sets {@code model_embeddings}, relative to the model.
         *
         * @param path for example {@code "embed_tokens"}
         * @return this builder
         */
        public Builder modelEmbeddings(String path) {
            return set(MODEL_EMBEDDINGS, path);
        }

        /**
         * Sets {@code model_layers}, relative to the model: a block whose children are the layers.
         *
         * @param path for example {@code "layers"} or {@code "encoder.layer"}
         * @return this builder
         */
        public Builder modelLayers(String path) {
            return set(MODEL_LAYERS, path);
        }

        /**
         * Sets {@code layer_self_attn}, relative to a layer.
         *
         * @param path for example {@code "self_attn"}
         * @return this builder
         */
        public Builder layerSelfAttn(String path) {
            return set(SELF_ATTN, path);
        }

        /**
         * Sets {@code layer_cross_attn}, relative to a layer; enables the {@code CROSS_*} sites.
         *
         * @param path for example {@code "encoder_attn"}
         * @return this builder
         */
        public Builder layerCrossAttn(String path) {
            return set(CROSS_ATTN, path);
        }

        /**
         * Sets {@code attn_q_proj}, relative to the attention block.
         *
         * @param path for example {@code "q_proj"}
         * @return this builder
         */
        public Builder attnQProj(String path) {
            return set(Q_PROJ, path);
        }

        /**
         * Sets {@code attn_k_proj}, relative to the attention block.
         *
         * @param path for example {@code "k_proj"}
         * @return this builder
         */
        public Builder attnKProj(String path) {
            return set(K_PROJ, path);
        }

        /**
         * Sets {@code attn_v_proj}, relative to the attention block.
         *
         * @param path for example {@code "v_proj"}
         * @return this builder
         */
        public Builder attnVProj(String path) {
            return set(V_PROJ, path);
        }

        /**
         * Sets {@code attn_o_proj}, relative to the attention block.
         *
         * @param path for example {@code "o_proj"}
         * @return this builder
         */
        public Builder attnOProj(String path) {
            return set(O_PROJ, path);
        }

        /**
         * Sets {@code attn_qkv_proj}, the fused projection, relative to the attention block.
         *
         * @param path for example {@code "c_attn"}
         * @return this builder
         */
        public Builder attnQkvProj(String path) {
            return set(QKV_PROJ, path);
        }

        /**
         * Sets {@code attn_qkv_split}, how the fused projection splits; equal thirds when not set.
         *
         * @param split the split; {@code null} or {@link QkvSplit#EQUAL_THIRDS} mean equal thirds
         * @return this builder
         */
        public Builder attnQkvSplit(QkvSplit split) {
            this.qkvSplit = split == null || split.isEqualThirds() ? null : split; // one form of "equal thirds"
            return this;
        }

        /**
         * Sets {@code layer_intermediate_proj}, relative to a layer.
         *
         * @param path for example {@code "mlp.up_proj"}
         * @return this builder
         */
        public Builder layerIntermediateProj(String path) {
            return set("layer_intermediate_proj", path);
        }

        /**
         * Sets {@code layer_output_proj}, relative to a layer.
         *
         * @param path for example {@code "mlp.down_proj"}
         * @return this builder
         */
        public Builder layerOutputProj(String path) {
            return set("layer_output_proj", path);
        }

        /**
         * Sets {@code layer_pre_self_attn}, the hook point before self-attention, relative to a layer.
         *
         * @param path for example {@code "input_layernorm"}
         * @return this builder
         */
        public Builder layerPreSelfAttn(String path) {
            return set("layer_pre_self_attn", path);
        }

        /**
         * Sets {@code layer_pre_cross_attn}, the hook point before cross-attention, relative to a layer.
         *
         * @param path a path
         * @return this builder
         */
        public Builder layerPreCrossAttn(String path) {
            return set("layer_pre_cross_attn", path);
        }

        /**
         * Sets {@code layer_pre_ffn}, the hook point before the feed-forward block, relative to a layer.
         *
         * @param path for example {@code "pre_feedforward_layernorm"}
         * @return this builder
         */
        public Builder layerPreFfn(String path) {
            return set("layer_pre_ffn", path);
        }

        /**
         * Sets {@code layer_ln_1}, the layer norm after self-attention, relative to a layer.
         *
         * @param path for example {@code "post_attention_layernorm"}
         * @return this builder
         */
        public Builder layerLn1(String path) {
            return set(LN_1, path);
        }

        /**
         * Sets {@code layer_ln_2}, the layer norm after the feed-forward block, relative to a layer.
         *
         * @param path for example {@code "post_feedforward_layernorm"}
         * @return this builder
         */
        public Builder layerLn2(String path) {
            return set(LN_2, path);
        }

        /**
         * Checks the fields as the Python class does, and more, and builds the interface.
         *
         * @return the interface
         * @throws IllegalArgumentException listing every problem, each naming its JSON field
         */
        public AdapterModelInterface build() {
            List<String> problems = InterfaceRules.check(methods, paths, qkvSplit);
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid adapter model interface: " + String.join("; ", problems));
            }
            return new AdapterModelInterface(this);
        }

        Builder set(String field, String path) {
            if (path == null) {
                paths.remove(field);
            } else {
                paths.put(field, path);
            }
            return this;
        }
    }

    /** Copies the stored paths, for {@link InterfaceJson}. */
    Map<String, String> paths() {
        return new LinkedHashMap<>(paths);
    }
}
