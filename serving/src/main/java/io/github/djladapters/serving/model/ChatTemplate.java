package io.github.djladapters.serving.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template: the Jinja template of a model's {@code tokenizer_config.json}
 * ({@code chat_template}, or the {@code chat_template.jinja} file beside it) that turns a list of
 * messages into the model's prompt, rendered as transformers' {@code apply_chat_template} does
 * (blocks trimmed and left-stripped; the variables {@code messages}, {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token} and the function {@code raise_exception}).
 *
 * <pre>{@code
 * ChatTemplate chat = ChatTemplate.read(modelDir);              // null when the model has none
 * String prompt = chat.render(List.of(Map.of("role", "user", "content", "Hi")), true);
 * }</pre>
 */
public final class ChatTemplate {

    private static final long MAX_OUTPUT_CHARS = 4 << 20;

    /** Jinjava's switches towards Python Jinja's behaviour (whitespace control, precedence, escapes, map keys). */
    private static final LegacyOverrides PYTHON_JINJA = LegacyOverrides.newBuilder().withEvaluateMapKeys(true)
            .withIterateOverMapKeys(true).withUsePyishObjectMapper(true).withUseNaturalOperatorPrecedence(true)
            .withParseWhitespaceControlStrictly(true).withUseTrimmingForNotesAndExpressions(true)
            .withKeepNullableLoopValues(true).withHandleBackslashInQuotesOnly(true)
            .withDefaultKeepTrailingNewlineBehavior(true).build();

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    /**
     * A template.
     *
     * @param template the Jinja source
     * @param bosToken the value of {@code bos_token} ({@code ""} when the model has none)
     * @param eosToken the value of {@code eos_token} ({@code ""} when the model has none)
     */
    public ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(PYTHON_JINJA).withMaxOutputSize(MAX_OUTPUT_CHARS).build());
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    }

    /**
     * Reads a model folder's chat template: {@code chat_template.jinja} if present, else the
     * {@code chat_template} of {@code tokenizer_config.json} (a string, or a list of named templates
     * of which the one named {@code default} is taken).
     *
     * @param modelDir the model folder
     * @return the template, or null when the folder has none
     * @throws IOException when a file cannot be read or {@code tokenizer_config.json} is malformed
     */
    public static ChatTemplate read(Path modelDir) throws IOException {
        Path configFile = modelDir.resolve("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configFile) ? new ObjectMapper().readTree(configFile.toFile())
                : new ObjectMapper().createObjectNode();
        String bos = tokenText(config.get("bos_token"), configFile, "bos_token");
        String eos = tokenText(config.get("eos_token"), configFile, "eos_token");
        Path jinjaFile = modelDir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinjaFile)) {
            return new ChatTemplate(Files.readString(jinjaFile), bos, eos);
        }
        JsonNode node = config.get("chat_template");
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return new ChatTemplate(node.asText(), bos, eos);
        }
        if (node.isArray()) {
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    return new ChatTemplate(named.get("template").asText(), bos, eos);
                }
            }
            throw new IOException(configFile + ": chat_template is a list without a template named 'default'");
        }
        throw new IOException(configFile + ": chat_template must be a string or a list of {name, template}, got "
                + node.getNodeType());
    }

    /** A special token's text: a string, or an added-token object with {@code content}; "" when absent. */
    private static String tokenText(JsonNode token, Path file, String key) throws IOException {
        if (token == null || token.isNull()) {
            return "";
        }
        if (token.isTextual()) {
            return token.asText();
        }
        if (token.path("content").isTextual()) {
            return token.get("content").asText();
        }
        throw new IOException(file + ": " + key + " must be a string or an object with \"content\", got " + token);
    }

    /**
     * Renders the prompt of a conversation.
     *
     * @param messages the messages, each a map with at least {@code role} and {@code content}
     * @param addGenerationPrompt true to end with the start of an assistant turn
     * @return the prompt text
     * @throws IllegalArgumentException with the template's message when it calls
     *     {@code raise_exception} or fails to render
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", messages);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        RenderResult result = jinjava.renderForResult(template, bindings);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new IllegalArgumentException("chat template: " + message(error));
            }
        }
        return result.getOutput();
    }

    /** The template's own words for an error: the message of {@code raise_exception} when it was called. */
    private static String message(TemplateError error) {
        for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
            if (cause instanceof TemplateRaisedException raised) {
                return raised.getMessage();
            }
        }
        return error.getMessage();
    }

    /**
     * The template's {@code raise_exception(message)}.
     *
     * @param message the template's message
     * @return never
     */
    public static Object raiseException(String message) {
        throw new TemplateRaisedException(message);
    }

    /** Thrown by a template's {@code raise_exception}. */
    private static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(String message) {
            super(message);
        }
    }
}
