package io.github.djladapters.runtime.methods.bottleneck;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Adapters library's {@code reduction_factor}: one number for every layer, or a map from layer
 * index (as text) to number with an optional {@code "default"}. The bottleneck width of a layer is
 * {@code max(1, int(hidden // factor))}, as the library computes it.
 *
 * @param value the factor for every layer, or null when {@code perLayer} is set
 * @param perLayer layer index or {@code default} to factor, or null
 */
public record ReductionFactor(Double value, Map<String, Double> perLayer) {

    /** Checks that exactly one form is set and every factor is positive. */
    public ReductionFactor {
        if ((value == null) == (perLayer == null)) {
            throw new IllegalArgumentException("reduction_factor is a number or a map, not both or neither");
        }
        if (value != null && !(value > 0)) {
            throw new IllegalArgumentException("reduction_factor must be positive, got " + value);
        }
        if (perLayer != null) {
            perLayer = Map.copyOf(new LinkedHashMap<>(perLayer));
            perLayer.forEach((key, factor) -> {
                if (factor == null || !(factor > 0)) {
                    throw new IllegalArgumentException("reduction_factor['" + key + "'] must be positive, got "
                            + factor);
                }
            });
        }
    }

    /**
     * One factor for every layer.
     *
     * @param factor the factor, positive
     * @return the reduction factor
     */
    public static ReductionFactor of(double factor) {
        return new ReductionFactor(factor, null);
    }

    /**
     * Reads the JSON form.
     *
     * @param node a number or an object of numbers
     * @return the reduction factor
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static ReductionFactor fromJson(JsonNode node) {
        if (node.isNumber()) {
            return of(node.doubleValue());
        }
        if (node.isObject()) {
            Map<String, Double> map = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> entry : node.properties()) {
                if (!entry.getValue().isNumber()) {
                    throw new IllegalArgumentException("reduction_factor['" + entry.getKey() + "'] must be a number,"
                            + " got " + entry.getValue());
                }
                map.put(entry.getKey(), entry.getValue().doubleValue());
            }
            return new ReductionFactor(null, map);
        }
        throw new IllegalArgumentException("reduction_factor must be a number or a map of layer to number, got " + node);
    }

    /**
     * The JSON form.
     *
     * @return a number or an object
     */
    @JsonValue
    public JsonNode toJson() {
        if (value != null) {
            return value == Math.rint(value) && Math.abs(value) < 1e15 ? JsonNodeFactory.instance.numberNode(value.longValue())
                    : JsonNodeFactory.instance.numberNode(value);
        }
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        new java.util.TreeMap<>(perLayer).forEach(node::put);
        return node;
    }

    /**
     * The factor of one layer.
     *
     * @param layer the layer index
     * @return the factor
     * @throws IllegalArgumentException when a map has neither the layer nor {@code default}, as in the library
     */
    public double forLayer(int layer) {
        if (value != null) {
            return value;
        }
        Double factor = perLayer.getOrDefault(String.valueOf(layer), perLayer.get("default"));
        if (factor == null) {
            throw new IllegalArgumentException("reduction_factor " + perLayer + " gives neither layer " + layer
                    + " nor a \"default\"; add one like {\"1\": 8, \"default\": 16}");
        }
        return factor;
    }

    /**
     * The bottleneck width of one layer: {@code max(1, int(hidden // factor))}.
     *
     * @param hidden the hidden size
     * @param layer the layer index
     * @return the width
     */
    public int width(long hidden, int layer) {
        return (int) Math.max(1, Math.floor(hidden / forLayer(layer)));
    }
}
