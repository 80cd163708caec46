package io.github.djladapters.runtime.methods.bottleneck;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The Adapters library's {@code scaling} of the up projection's output: a constant, {@code "learned"}
 * (one trainable scalar, initialised to 1) or {@code "channel"} (one trainable value per hidden
 * channel, initialised to 1).
 *
 * @param factor the constant, or null for a learned scaling
 * @param learned {@code "learned"} or {@code "channel"}, or null for a constant
 */
public record BnScaling(Double factor, String learned) {

    /** A learned scalar. */
    public static final BnScaling LEARNED = new BnScaling(null, "learned");
    /** A learned vector over the hidden channels. */
    public static final BnScaling CHANNEL = new BnScaling(null, "channel");

    /** Checks that exactly one form is set. */
    public BnScaling {
        if ((factor == null) == (learned == null) || learned != null && !learned.equals("learned")
                && !learned.equals("channel")) {
            throw new IllegalArgumentException("scaling is a number, \"learned\" or \"channel\"");
        }
    }

    /**
     * A constant.
     *
     * @param factor the factor
     * @return the scaling
     */
    public static BnScaling of(double factor) {
        return new BnScaling(factor, null);
    }

    /**
     * Reads the JSON form.
     *
     * @param node a number, {@code "learned"} or {@code "channel"}
     * @return the scaling
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static BnScaling fromJson(JsonNode node) {
        if (node.isNumber()) {
            return of(node.doubleValue());
        }
        if (node.isTextual() && (node.asText().equals("learned") || node.asText().equals("channel"))) {
            return node.asText().equals("learned") ? LEARNED : CHANNEL;
        }
        throw new IllegalArgumentException("scaling must be a number, \"learned\" or \"channel\", got " + node);
    }

    /**
     * The JSON form.
     *
     * @return a number or text
     */
    @JsonValue
    public JsonNode toJson() {
        return factor != null ? JsonNodeFactory.instance.numberNode(factor) : JsonNodeFactory.instance.textNode(learned);
    }
}
