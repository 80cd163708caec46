package io.github.djladapters.runtime.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import java.io.IOException;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the safetensors reader: any bytes either open (and then every floating
 * tensor reads as float32 of the size its shape says) or fail with an {@code IOException} that says
 * why. In the normal build this replays the seeds in {@code SafetensorsFuzzTestInputs}; with
 * {@code JAZZER_FUZZ=1} it fuzzes (see docs/reliability.md).
 */
class SafetensorsFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void readerReturnsOrExplains(byte[] bytes) {
        FuzzedFiles.expectOnly(() -> {
            try (SafetensorsFile file = SafetensorsFile.open(FuzzedFiles.write("model.safetensors", bytes))) {
                for (TensorInfo info : file.tensors().values()) {
                    if (info.dtype().isFloating() && info.elementCount() < 1 << 20) {
                        int bytesRead = file.readFloat32(info.name()).remaining();
                        if (bytesRead != info.elementCount() * 4) {
                            throw new AssertionError(info.name() + ": read " + bytesRead + " bytes");
                        }
                    }
                }
            }
        }, Set.of(IOException.class));
    }
}
