package io.github.djladapters.models.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The bounded fuzzing run of the normal build for this module's readers (the ONNX importer, every
 * {@code config.json} and the shard index): {@value #RUNS} executions in one Jazzer run. The build
 * runs it with {@code JAZZER_FUZZ=1}; {@code -Dfuzz.brief.skip=true} skips it.
 */
class BriefFuzzTest {

    private static final long RUNS = 6000;

    @FuzzTest(maxDuration = "60s", maxExecutions = RUNS)
    void everyModelReader(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            new OnnxFuzzTest().importerReturnsOrExplains(data.consumeRemainingAsBytes());
        } else {
            new ModelConfigFuzzTest().configReadersReturnOrExplain(data);
        }
    }
}
