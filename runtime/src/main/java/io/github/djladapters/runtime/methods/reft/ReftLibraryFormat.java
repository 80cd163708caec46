package io.github.djladapters.runtime.methods.reft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.methods.AdaptersLibraryFormat;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ReFT in the Adapters library's layout: {@code "config"} with {@code "architecture": "reft"},
 * {@code layers}, {@code prefix_positions}, {@code suffix_positions}, {@code r}, {@code orthogonality},
 * {@code tied_weights}, {@code dropout}, {@code non_linearity}, plus {@code subtract_projection}, which
 * the library itself does not write (so its DiReFT comes back as NoReFT); tensors
 * {@code <layer>.reft_layer.refts.<name>.units.<i>.learned_source.weight} and so on. The projection
 * of an orthogonal ReFT (LoReFT) is saved as the library's PyTorch parametrization saves it,
 * {@code projection.parametrizations.weight.original} and {@code projection.parametrizations.weight.0.base}
 * (see {@link OrthogonalParametrization}), and read back from those two into the R they compute; without
 * orthogonality it is {@code projection.weight}.
 */
final class ReftLibraryFormat implements AdaptersLibraryFormat<ReftConfig> {

    private static final Pattern FILE_KEY = Pattern.compile(
            "(.+)\\.reft_layer\\.refts\\.([^.]+)\\.(units\\.\\d+\\.)(learned_source\\.weight|learned_source\\.bias"
                    + "|projection\\.weight|projection\\.parametrizations\\.weight\\.original)");
    private static final Pattern OUR_KEY = Pattern.compile("base_model\\.model\\.(.+)\\.reft_layer\\.(units\\..+)");
    private static final Set<String> KEYS = Set.of("architecture", "layers", "prefix_positions", "suffix_positions",
            "r", "orthogonality", "tied_weights", "subtract_projection", "dropout", "non_linearity", "dtype",
            "output_reft", "init_weights_seed");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ORIGINAL = "parametrizations.weight.original";
    private static final String BASE = "parametrizations.weight.0.base";

    @Override
    public boolean reads(ObjectNode config) {
        return config.path("architecture").asText("").equals("reft");
    }

    @Override
    public Parsed<ReftConfig> read(Path file, ObjectNode root, ObjectNode config) throws CheckpointException {
        List<Integer> layers = null;
        JsonNode layerNode = config.path("layers");
        if (layerNode.isArray()) {
            layers = new ArrayList<>();
            for (JsonNode layer : layerNode) {
                if (!layer.canConvertToInt()) {
                    throw new CheckpointException(file + ": key 'config.layers' holds " + layer + ", not a layer index");
                }
                layers.add(layer.asInt());
            }
        } else if (!layerNode.isMissingNode() && !"all".equals(layerNode.asText())) {
            throw new CheckpointException(file + ": key 'config.layers' is " + layerNode
                    + "; expected \"all\" or a list of layer indices");
        }
        String dtype = config.path("dtype").isTextual() ? config.get("dtype").asText() : null;
        if (dtype != null && !dtype.equals("float32")) {
            throw new CheckpointException(file + ": key 'config.dtype' is \"" + dtype + "\"; only float32 is supported");
        }
        if (!config.path("output_reft").asBoolean(true)) {
            throw new CheckpointException(file + ": key 'config.output_reft' is false; only interventions on layer"
                    + " outputs are supported");
        }
        ReftConfig.Builder parsed = ReftConfig.loReft().layers(layers);
        integer(file, config, "prefix_positions", parsed::prefixPositions);
        integer(file, config, "suffix_positions", parsed::suffixPositions);
        integer(file, config, "r", parsed::r);
        present(config, "orthogonality", node -> parsed.orthogonality(node.asBoolean()));
        present(config, "tied_weights", node -> parsed.tiedWeights(node.asBoolean()));
        present(config, "subtract_projection", node -> parsed.subtractProjection(node.asBoolean()));
        present(config, "dropout", node -> parsed.dropout(node.asDouble()));
        parsed.nonLinearity(config.path("non_linearity").isTextual() ? config.get("non_linearity").asText() : null);
        List<String> unknown = new ArrayList<>();
        config.fieldNames().forEachRemaining(k -> {
            if (!KEYS.contains(k)) {
                unknown.add("config." + k);
            }
        });
        return new Parsed<>(parsed.build(), unknown);
    }

    /** Sets an integer key that is present and not null; absent, the builder's default stays. */
    private static void integer(Path file, ObjectNode config, String key, IntConsumer setter)
            throws CheckpointException {
        JsonNode node = config.path(key);
        if (node.isMissingNode() || node.isNull()) {
            return;
        }
        if (!node.canConvertToInt()) {
            throw new CheckpointException(file + ": key 'config." + key + "' is " + node + "; expected an integer");
        }
        setter.accept(node.asInt());
    }

    private static void present(ObjectNode config, String key, Consumer<JsonNode> setter) {
        JsonNode node = config.path(key);
        if (!node.isMissingNode() && !node.isNull()) {
            setter.accept(node);
        }
    }

    /** {@code X.reft_layer.refts.<name>.units...} becomes {@code base_model.model.X.reft_layer.units...}. */
    @Override
    public Map<String, String> internalKeys(Set<String> keys, String savedName, Set<String> expected) {
        return AdaptersLibraryFormat.renameKeys(keys, expected, key -> {
            Matcher m = FILE_KEY.matcher(key);
            if (!m.matches() || (savedName != null && !savedName.equals(m.group(2)))) {
                return null;
            }
            String tensor = m.group(4).startsWith("projection") ? "projection.weight" : m.group(4);
            return new SavedKey(m.group(1), ".reft_layer." + m.group(3) + tensor);
        });
    }

    /** Each {@code projection.parametrizations.weight.original} (with its {@code .0.base}) becomes {@code projection.weight}. */
    @Override
    public Map<String, NDArray> fromFileTensors(Path file, Map<String, NDArray> tensors) throws CheckpointException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> tensor : tensors.entrySet()) {
            String key = tensor.getKey();
            if (key.endsWith("projection." + BASE) && tensors.containsKey(
                    key.substring(0, key.length() - BASE.length()) + ORIGINAL)) {
                continue; // read with its original
            }
            if (!key.endsWith("projection." + ORIGINAL)) {
                out.put(key, tensor.getValue());
                continue;
            }
            String module = key.substring(0, key.length() - ORIGINAL.length());
            NDArray original = tensor.getValue();
            long[] shape = original.getShape().getShape();
            if (shape.length != 2) {
                throw new CheckpointException(file + ": tensor '" + key + "' has shape " + original.getShape()
                        + "; expected [r, hidden]");
            }
            int r = (int) shape[0];
            int hidden = (int) shape[1];
            NDArray base = tensors.get(module + BASE);
            if (base != null && !base.getShape().equals(new Shape(hidden, hidden))) {
                throw new CheckpointException(file + ": tensor '" + module + BASE + "' has shape " + base.getShape()
                        + "; expected [" + hidden + ", " + hidden + "] for '" + key + "' of shape " + original.getShape());
            }
            try {
                float[] weight = OrthogonalParametrization.weight(original.toFloatArray(),
                        base == null ? null : base.toFloatArray(), r, hidden);
                out.put(module + "weight", original.getManager().create(weight, new Shape(r, hidden)));
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(file + ": tensor '" + key + "': " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** With orthogonality, each {@code projection.weight} is written as the library's parametrization. */
    @Override
    public Map<String, NDArray> toFileTensors(ReftConfig config, Map<String, NDArray> tensors) {
        if (!config.orthogonality()) {
            return tensors;
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((key, value) -> {
            if (!key.endsWith(".projection.weight")) {
                out.put(key, value);
                return;
            }
            String module = key.substring(0, key.length() - "weight".length());
            NDArray orthonormal = ReftIntervention.projection(value, true);
            int r = (int) value.getShape().get(0);
            int hidden = (int) value.getShape().get(1);
            NDManager manager = value.getManager();
            out.put(module + ORIGINAL, manager.create(OrthogonalParametrization.original(r, hidden),
                    new Shape(r, hidden)));
            out.put(module + BASE, manager.create(OrthogonalParametrization.base(orthonormal.toFloatArray(), r, hidden),
                    new Shape(hidden, hidden)));
        });
        return out;
    }

    @Override
    public boolean writes() {
        return true;
    }

    @Override
    public ObjectNode writeConfig(ReftConfig config) {
        ObjectNode node = JSON.createObjectNode();
        node.put("architecture", "reft");
        if (config.layers() == null) {
            node.put("layers", "all");
        } else {
            ArrayNode layers = node.putArray("layers");
            config.layers().forEach(layers::add);
        }
        node.put("prefix_positions", config.prefixPositions());
        node.put("suffix_positions", config.suffixPositions());
        node.put("r", config.r());
        node.put("orthogonality", config.orthogonality());
        node.put("tied_weights", config.tiedWeights());
        node.put("subtract_projection", config.subtractProjection());
        node.put("dropout", config.dropout());
        if (config.nonLinearity() == null) {
            node.putNull("non_linearity");
        } else {
            node.put("non_linearity", config.nonLinearity());
        }
        node.putNull("dtype");
        node.put("output_reft", true);
        node.putNull("init_weights_seed");
        return node;
    }

    @Override
    public String fileKey(String key, String name) {
        Matcher m = OUR_KEY.matcher(key);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + key + "' is not a ReFT tensor key");
        }
        return m.group(1) + ".reft_layer.refts." + name + "." + m.group(2);
    }
}
