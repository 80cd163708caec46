package io.github.djladapters.models.checkpoint;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.djladapters.runtime.files.SmallFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads and writes the {@code config.json} of every architecture in one way: the file is read
 * within {@link SmallFiles}' size bound, must hold a JSON object, and any failure names the file and
 * the architecture; written configs are pretty-printed.
 *
 * <pre>{@code
 * GPT2Config config = ConfigJson.read(file, "GPT-2", json -> ConfigJson.MAPPER.treeToValue(json, GPT2Config.class));
 * Files.writeString(dir.resolve("config.json"), ConfigJson.write(config));
 * }</pre>
 */
public final class ConfigJson {

    /** The mapper configs bind with: an explicit JSON {@code null} for a number means "absent". */
    public static final ObjectMapper MAPPER =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);

    /**
     * Turns the JSON object of a config.json into a config.
     *
     * @param <T> the config type
     */
    @FunctionalInterface
    public interface Parser<T> {

        /**
         * Parses the object.
         *
         * @param json the config.json object
         * @return the config
         * @throws IOException when the JSON does not bind
         */
        T parse(JsonNode json) throws IOException;
    }

    private ConfigJson() {}

    /**
     * Reads a config.json.
     *
     * @param <T> the config type
     * @param file the path of config.json
     * @param architecture the name used in errors ({@code "GPT-2"})
     * @param parser turns the JSON object into a config; may throw {@link IllegalArgumentException}
     *     for an unsupported value
     * @return the config
     * @throws IOException when the file cannot be read, is too large, is not a JSON object, or is not a
     *     valid config (the message names the file and the architecture)
     */
    public static <T> T read(Path file, String architecture, Parser<T> parser) throws IOException {
        try {
            JsonNode json = MAPPER.readTree(SmallFiles.read(file));
            if (json == null || !json.isObject()) {
                throw new IOException("expected a JSON object");
            }
            return parser.parse(json);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(file + ": not a valid " + architecture + " config.json: " + e.getMessage(), e);
        }
    }

    /**
     * An empty JSON object to write a config's keys into.
     *
     * @return the object
     */
    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /**
     * Writes a config (a Jackson-annotated record or a JSON tree) as pretty-printed config.json text.
     *
     * @param config the config or its JSON object
     * @return JSON text
     * @throws IllegalStateException when the value cannot be written as JSON
     */
    public static String write(Object config) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(config);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
