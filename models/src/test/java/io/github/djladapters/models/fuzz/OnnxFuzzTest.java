package io.github.djladapters.models.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.djladapters.models.onnx.OnnxWeights;
import io.github.djladapters.runtime.fuzz.FuzzedFiles;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import java.io.IOException;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the ONNX weight importer: any bytes either open (and every tensor then
 * reads as float32 of its shape's size) or fail with an {@code IOException}. In the normal build this
 * replays {@code OnnxFuzzTestInputs}; with {@code JAZZER_FUZZ=1} it fuzzes (docs/reliability.md).
 */
class OnnxFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void importerReturnsOrExplains(byte[] bytes) {
        FuzzedFiles.expectOnly(() -> {
            try (OnnxWeights weights = OnnxWeights.open(FuzzedFiles.write("model.onnx", bytes))) {
                for (TensorInfo info : weights.tensors().values()) {
                    if (info.dtype().isFloating() && info.elementCount() < 1 << 20) {
                        int read = weights.readFloat32(info.name()).remaining();
                        if (read != info.elementCount() * 4) {
                            throw new AssertionError(info.name() + ": read " + read + " bytes");
                        }
                    }
                }
            }
        }, Set.of(IOException.class));
    }
}
