package io.github.djladapters.runtime.methods;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Binds config JSON to config records, naming the file and the offending key on failure. */
public final class ConfigJson {

    /**
     * Strict about numbers: {@code "r": 2.5} is an error, not a rank of 2. A key whose value is
     * null keeps the config's default (its builder's), as an omitted key does: PEFT writes None for
     * unset fields.
     */
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false)
            .setDefaultSetterInfo(JsonSetter.Value.forValueNulls(Nulls.SKIP));

    private ConfigJson() {}

    /**
     * Binds a JSON object to a config record.
     *
     * @param file for messages
     * @param node the object
     * @param type the config record
     * @param <C> its type
     * @return the config
     * @throws CheckpointException naming the file and the key
     */
    public static <C> C bind(Path file, JsonNode node, Class<C> type) throws CheckpointException {
        try {
            return JSON.treeToValue(node, type);
        } catch (JsonMappingException e) {
            String key = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                    : String.valueOf(r.getIndex())).collect(Collectors.joining("."));
            throw new CheckpointException(file + ": key '" + key + "': " + rootMessage(e), e);
        } catch (JacksonException | IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root instanceof JacksonException j ? j.getOriginalMessage() : root.getMessage();
    }
}
