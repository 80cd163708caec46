package io.github.djladapters.samples.custom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LlamaLoraGenerationTest {

    @Test
    void eachRowOfAMixedBatchGeneratesWhatItsAdapterGeneratesAloneAndMerged() {
        LlamaLoraGeneration.Result result;
        try (PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
            result = LlamaLoraGeneration.run(out);
        }
        for (int i = 0; i < LlamaLoraGeneration.PROMPTS.size(); i++) {
            assertEquals(LlamaLoraGeneration.NEW_TOKENS, result.mixedBatch().get(i).length, "row " + i);
            assertArrayEquals(result.oneByOne().get(i), result.mixedBatch().get(i), "row " + i + " alone");
            assertArrayEquals(result.merged().get(i), result.mixedBatch().get(i), "row " + i + " merged");
            boolean adapted = !LlamaLoraGeneration.ROW_ADAPTERS.get(i).isEmpty();
            assertEquals(adapted, !Arrays.equals(result.base().get(i), result.mixedBatch().get(i)),
                    "row " + i + ": an adapter changes the tokens, the base row keeps them");
        }
        assertFalse(Arrays.equals(result.mixedBatch().get(1), result.mixedBatch().get(2)));
    }
}
