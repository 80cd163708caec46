package io.github.djladapters.runtime.files;

import static io.github.djladapters.runtime.methods.ReferenceWeights.tiny;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import io.github.djladapters.runtime.testmodel.TinyModel;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saving over a previous adapter is all or nothing: a failure injected halfway through writing the
 * weights, or between the moves into place, leaves every previous file byte for byte as it was, no
 * temporary file behind, and the previous adapter loads with its own values.
 */
class AtomicSaveTest {

    private static final LoRAConfig LORA = LoRAConfig.builder().r(2).initLoraWeights(LoRAInit.NONE).build();

    @TempDir Path dir;

    @AfterEach
    void noFaults() {
        StagedFiles.faults = null;
    }

    @Test
    void failureHalfwayThroughWritingTheWeightsKeepsThePreviousAdapter() throws Exception {
        assertPreviousSurvives(new StagedFiles.Faults() {
            @Override
            public void afterWrite(Path temp) throws IOException {
                if (temp.getFileName().toString().contains(PeftAdapterFiles.WEIGHTS_FILE)) {
                    try (RandomAccessFile file = new RandomAccessFile(temp.toFile(), "rw")) {
                        file.setLength(file.length() / 2); // the disk filled up halfway
                    }
                    throw new IOException("injected: no space left on device");
                }
            }

            @Override
            public void beforeMove(Path target) {}
        });
    }

    @Test
    void failureAfterTheFirstFileMovedIntoPlaceRollsItBack() throws Exception {
        assertPreviousSurvives(new StagedFiles.Faults() {
            private int moves;

            @Override
            public void afterWrite(Path temp) {}

            @Override
            public void beforeMove(Path target) throws IOException {
                if (++moves == 2) {
                    throw new IOException("injected: rename failed");
                }
            }
        });
    }

    private void assertPreviousSurvives(StagedFiles.Faults faults) throws Exception {
        Path folder = dir.resolve("adapter");
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = tiny(manager, false);
            peft.addAdapter("old", LORA);
            peft.saveAdapterFolder("old", folder);
            Map<String, byte[]> before = contents(folder);
            peft.addAdapter("new", LORA.toBuilder().r(3).build());
            StagedFiles.faults = faults;
            IOException e = assertThrows(IOException.class, () -> peft.saveAdapterFolder("new", folder));
            assertTrue(e.getMessage().startsWith("injected"), e.getMessage());
            StagedFiles.faults = null;
            Map<String, byte[]> after = contents(folder);
            assertEquals(before.keySet(), after.keySet(), "the same files, no temporary file left");
            before.forEach((name, bytes) -> assertArrayEquals(bytes, after.get(name), name));
            AdapterModel<TinyModel> fresh = tiny(manager, false);
            fresh.loadAdapter(folder, "reloaded");
            assertEquals(2, ((LoRAConfig) fresh.adapterConfig("reloaded")).r(), "the previous adapter loads");
        }
    }

    private static Map<String, byte[]> contents(Path folder) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(folder)) {
            for (Path file : list.toList()) {
                files.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        }
        return files;
    }
}
