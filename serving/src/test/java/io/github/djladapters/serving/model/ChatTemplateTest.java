package io.github.djladapters.serving.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplateTest {

    /** Templates (Llama 2's, Zephyr's, a ChatML one) and transformers' renderings of them; see make_expected.py. */
    static final Path TEMPLATES = Path.of("src", "test", "resources", "chat-templates");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void rendersAsTransformersApplyChatTemplate() throws IOException {
        JsonNode cases = JSON.readTree(TEMPLATES.resolve("expected.json").toFile()).get("cases");
        int rendered = 0;
        for (JsonNode c : cases) {
            ChatTemplate template = ChatTemplate.read(TEMPLATES.resolve(c.get("template").asText()));
            List<Map<String, Object>> messages = JSON.convertValue(c.get("messages"), new TypeReference<>() {});
            boolean generationPrompt = c.get("add_generation_prompt").asBoolean();
            if (c.has("error")) {
                IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                        () -> template.render(messages, generationPrompt));
                assertEquals("chat template: " + c.get("error").asText(), error.getMessage());
            } else {
                assertEquals(c.get("rendered").asText(), template.render(messages, generationPrompt), c.toString());
                rendered++;
            }
        }
        assertEquals(18, rendered);
    }

    @Test
    void readsTheJinjaFileAndNamedTemplatesAndNothing(@TempDir Path dir) throws IOException {
        assertNull(ChatTemplate.read(dir));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>"}, "eos_token": "</s>",
                 "chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "{{ bos_token }}d"}]}""");
        assertEquals("<s>d", ChatTemplate.read(dir).render(List.of(), false));
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages[0]['content'] }}{{ eos_token }}");
        assertEquals("hi</s>", ChatTemplate.read(dir).render(List.of(Map.of("role", "user", "content", "hi")), false));
        Files.delete(dir.resolve("chat_template.jinja"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 3}");
        IOException bad = assertThrows(IOException.class, () -> ChatTemplate.read(dir));
        assertTrue(bad.getMessage().contains("chat_template must be a string"), bad.getMessage());
    }
}
