package io.github.djladapters.processor;

import static com.google.common.truth.Truth.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The message catalogue: stable, unique ids that appear in every message text. */
class MessageTest {

    @Test
    void idsAreUniqueAndNumberedInOrder() {
        Set<String> ids = new HashSet<>();
        for (Message message : Message.values()) {
            assertThat(ids.add(message.id())).isTrue();
            assertThat(message.id()).isEqualTo(String.format("DJLA%03d", message.ordinal() + 1));
        }
    }

    @Test
    void formattedTextStartsWithTheIdInBrackets() {
        assertThat(Message.FINAL_FIELD.format("OProj", "TinyAttention.oProj"))
                .isEqualTo("[DJLA006] @OProj field TinyAttention.oProj is final; the generated bindings assign it,"
                        + " remove final");
    }
}
