package io.github.djladapters.runtime.bindings;

import static io.github.djladapters.runtime.bindings.AdapterModelInterface.ADAPTER_METHODS;
import static io.github.djladapters.runtime.bindings.AdapterModelInterface.PATH_FIELDS;
import static io.github.djladapters.runtime.bindings.AdapterModelInterface.QKV_SPLIT;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.annotations.AdapterMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reads and writes the JSON form of {@link AdapterModelInterface}, with the Python field names. */
final class InterfaceJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private InterfaceJson() {}

    static AdapterModelInterface read(Path file) {
        String source = "adapter interface file " + file;
        JsonNode tree;
        try {
            tree = MAPPER.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: " + e.getOriginalMessage()
                    + location(e), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + " cannot be read: " + e, e);
        }
        return fromTree(tree, source);
    }

    static AdapterModelInterface read(String json) {
        String source = "adapter interface JSON";
        try {
            return fromTree(MAPPER.readTree(json), source);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid: " + e.getOriginalMessage() + location(e), e);
        }
    }

    /** Builds the interface, every message starting with {@code source} and naming the field. */
    static AdapterModelInterface fromTree(JsonNode tree, String source) {
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object with the fields "
                    + ADAPTER_METHODS + ", " + String.join(", ", PATH_FIELDS));
        }
        List<String> problems = new ArrayList<>();
        AdapterModelInterface.Builder builder = AdapterModelInterface.builder();
        for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (name.equals(ADAPTER_METHODS)) {
                builder.adapterMethods(methods(value, problems));
            } else if (name.equals(QKV_SPLIT)) {
                builder.attnQkvSplit(split(value, problems));
            } else if (PATH_FIELDS.contains(name)) {
                if (value.isTextual()) {
                    builder.set(name, value.textValue());
                } else if (!value.isNull()) {
                    problems.add(name + " must be a string or null, got " + value.getNodeType().name().toLowerCase(Locale.ROOT));
                }
            } else {
                problems.add("unknown field '" + name + "'; known fields are " + ADAPTER_METHODS + ", "
                        + String.join(", ", PATH_FIELDS) + ", " + QKV_SPLIT);
            }
        }
        if (problems.isEmpty()) {
            try {
                return builder.build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException(source + ": " + String.join("; ", problems));
    }

    private static List<AdapterMethod> methods(JsonNode value, List<String> problems) {
        List<AdapterMethod> methods = new ArrayList<>();
        if (!value.isArray()) {
            problems.add(ADAPTER_METHODS + " must be a list of names such as [\"lora\"], got "
                    + value.getNodeType().name().toLowerCase(Locale.ROOT));
            return methods;
        }
        for (JsonNode element : value) {
            if (!element.isTextual()) {
                problems.add(ADAPTER_METHODS + " must contain strings, got " + element);
                continue;
            }
            try {
                methods.add(AdapterMethod.fromConfigName(element.textValue()));
            } catch (IllegalArgumentException e) {
                problems.add(ADAPTER_METHODS + ": " + e.getMessage());
            }
        }
        return methods;
    }

    private static QkvSplit split(JsonNode value, List<String> problems) {
        if (value.isNull()) {
            return null;
        }
        if (value.isArray() && value.size() == 3 && value.get(0).canConvertToInt()
                && value.get(1).canConvertToInt() && value.get(2).canConvertToInt()
                && value.get(0).isIntegralNumber() && value.get(1).isIntegralNumber() && value.get(2).isIntegralNumber()) {
            try {
                return new QkvSplit(value.get(0).intValue(), value.get(1).intValue(), value.get(2).intValue());
            } catch (IllegalArgumentException e) {
                problems.add(QKV_SPLIT + ": " + e.getMessage());
                return null;
            }
        }
        problems.add(QKV_SPLIT + " must be [q, k, v] output sizes (three positive integers), got " + value);
        return null;
    }

    static ObjectNode toTree(AdapterModelInterface iface) {
        ObjectNode tree = MAPPER.createObjectNode();
        ArrayNode methods = tree.putArray(ADAPTER_METHODS);
        for (AdapterMethod method : iface.adapterMethods()) {
            methods.add(method.configName());
        }
        Map<String, String> paths = iface.paths();
        for (String field : PATH_FIELDS) {
            tree.put(field, paths.get(field)); // null stays: Python's constructor expects every field
        }
        iface.attnQkvSplit().ifPresent(split ->
                tree.putArray(QKV_SPLIT).add(split.qSize()).add(split.kSize()).add(split.vSize()));
        return tree;
    }

    static String write(AdapterModelInterface iface) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(toTree(iface));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write adapter interface JSON", e);
        }
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }
}
