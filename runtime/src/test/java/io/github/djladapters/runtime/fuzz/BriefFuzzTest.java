package io.github.djladapters.runtime.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The bounded fuzzing run of the normal build: {@value #RUNS} executions spread over every runtime
 * reader (safetensors, {@code adapter_config.json}, interface JSON), in one Jazzer run because Jazzer
 * fuzzes one target per JVM. The build runs it with {@code JAZZER_FUZZ=1} (a surefire execution of
 * this module; {@code -Dfuzz.brief.skip=true} skips it); each target's own class is for long runs.
 */
class BriefFuzzTest {

    private static final long RUNS = 6000;

    @FuzzTest(maxDuration = "60s", maxExecutions = RUNS)
    void everyRuntimeReader(FuzzedDataProvider data) {
        int reader = data.consumeInt(0, 2);
        byte[] bytes = data.consumeRemainingAsBytes();
        switch (reader) {
            case 0 -> new SafetensorsFuzzTest().readerReturnsOrExplains(bytes);
            case 1 -> new AdapterConfigFuzzTest().adapterConfigReturnsOrExplains(bytes);
            default -> new AdapterConfigFuzzTest().interfaceJsonReturnsOrExplains(bytes);
        }
    }
}
