package io.github.djladapters.runtime.methods.bottleneck;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * The Adapters library's {@code residual_before_ln}: which tensor the adapter's own residual
 * connection adds back.
 */
public enum ResidualBeforeLn {
    /** {@code true}: the sub-block's output before the original residual and layer norm. */
    TRUE,
    /** {@code false}: the adapter's input (after the original residual and layer norm, when applied). */
    FALSE,
    /** {@code "post_add"}: the sum of the sub-block's output and the residual, before the layer norm. */
    POST_ADD;

    /**
     * Reads the JSON form.
     *
     * @param node {@code true}, {@code false} or {@code "post_add"}
     * @return the value
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static ResidualBeforeLn fromJson(JsonNode node) {
        if (node.isBoolean()) {
            return node.booleanValue() ? TRUE : FALSE;
        }
        if (node.isTextual() && node.asText().equals("post_add")) {
            return POST_ADD;
        }
        throw new IllegalArgumentException("residual_before_ln must be true, false or \"post_add\", got " + node);
    }

    /**
     * The JSON form.
     *
     * @return a boolean or {@code "post_add"}
     */
    @JsonValue
    public JsonNode toJson() {
        return this == POST_ADD ? TextNode.valueOf("post_add") : BooleanNode.valueOf(this == TRUE);
    }
}
