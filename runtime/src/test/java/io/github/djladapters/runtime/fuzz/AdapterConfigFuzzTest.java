package io.github.djladapters.runtime.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.files.AdapterConfigFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the JSON config readers of the runtime: {@code adapter_config.json}
 * (PEFT and the adapters library's layout) and the JSON form of an {@code AdapterModelInterface}.
 * Bad input fails with the documented exception and a message; nothing else escapes.
 */
class AdapterConfigFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void adapterConfigReturnsOrExplains(byte[] bytes) {
        FuzzedFiles.expectOnly(() -> AdapterConfigFile.read(FuzzedFiles.write("adapter_config.json", bytes)),
                Set.of(IOException.class));
    }

    @FuzzTest(maxDuration = "10m")
    void interfaceJsonReturnsOrExplains(byte[] bytes) {
        FuzzedFiles.expectOnly(() -> AdapterModelInterface.fromJson(new String(bytes, StandardCharsets.UTF_8)),
                Set.of(IllegalArgumentException.class));
    }
}
