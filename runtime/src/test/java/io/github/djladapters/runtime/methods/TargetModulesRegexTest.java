package io.github.djladapters.runtime.methods;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A target_modules regex from a file cannot hang the load: a match has a time budget. */
class TargetModulesRegexTest {

    @Test
    void catastrophicallyBacktrackingRegexFailsWithinItsBudget() {
        TargetModules targets = TargetModules.regex("(.*){12}!");
        long start = System.nanoTime();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> targets.matches("encoder.layer.10.attention.self.query_key_value_projection"));
        assertTrue(e.getMessage().contains("takes more than"), e.getMessage());
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "stopped early");
    }

    @Test
    void ordinaryRegexStillMatchesWholePaths() {
        TargetModules targets = TargetModules.regex(".*\\.(q|v)_proj");
        assertTrue(targets.matches("layers.0.self_attn.q_proj"));
        assertFalse(targets.matches("layers.0.self_attn.k_proj"));
    }

    @Test
    void invalidRegexFailsWhenTheConfigIsRead() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TargetModules.regex("CAU)_LM"));
        assertTrue(e.getMessage().contains("target_modules 'CAU)_LM' is not a valid regular expression"), e.getMessage());
    }
}
