package io.github.djladapters.runtime.files;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Writes JSON byte for byte as Python's {@code json.dumps(obj, indent=2, sort_keys=True)} does, the
 * way PEFT writes {@code adapter_config.json}: keys sorted, two-space indent, {@code ": "} between key
 * and value, empty containers as {@code {}} and {@code []}, non-ASCII escaped, floats as Python's
 * {@code repr} ({@code 0.0}, {@code 1e-05}), and no newline at the end.
 */
final class PythonJson {

    private PythonJson() {}

    /**
     * Formats a JSON tree.
     *
     * @param node the tree
     * @return the text
     */
    static String write(JsonNode node) {
        StringBuilder out = new StringBuilder();
        write(node, 0, out);
        return out.toString();
    }

    private static void write(JsonNode node, int depth, StringBuilder out) {
        if (node.isObject()) {
            List<String> keys = new ArrayList<>();
            node.fieldNames().forEachRemaining(keys::add);
            Collections.sort(keys);
            if (keys.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            for (int i = 0; i < keys.size(); i++) {
                out.append(i == 0 ? "\n" : ",\n").append("  ".repeat(depth + 1));
                quote(keys.get(i), out);
                out.append(": ");
                write(node.get(keys.get(i)), depth + 1, out);
            }
            out.append('\n').append("  ".repeat(depth)).append('}');
        } else if (node.isArray()) {
            if (node.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            int i = 0;
            for (Iterator<JsonNode> it = node.elements(); it.hasNext(); i++) {
                out.append(i == 0 ? "\n" : ",\n").append("  ".repeat(depth + 1));
                write(it.next(), depth + 1, out);
            }
            out.append('\n').append("  ".repeat(depth)).append(']');
        } else if (node.isTextual()) {
            quote(node.asText(), out);
        } else if (node.isFloatingPointNumber()) {
            out.append(pythonFloat(node.doubleValue()));
        } else if (node.isNumber()) {
            out.append(node.bigIntegerValue());
        } else if (node.isBoolean()) {
            out.append(node.booleanValue() ? "true" : "false");
        } else {
            out.append("null");
        }
    }

    private static void quote(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        out.append(String.format("\\u%04x", (int) c)); // ensure_ascii, as Python
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * Python's {@code repr} of a float: shortest digits, positional for exponents -4 to 15,
     * otherwise {@code d.ddde-XX}.
     *
     * @param value a double
     * @return for example {@code 0.0}, {@code 0.05}, {@code 1e-05}, {@code 1e+16}
     */
    static String pythonFloat(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        if (value == 0) {
            return (1 / value < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(value))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        int exponent = digits.length() - exact.scale() - 1;
        String sign = value < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = exact.toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }
}
