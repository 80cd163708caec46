package io.github.djladapters.serving.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Arrays the registry's own work leaves behind: none, so a server's memory depends on the model only. */
class ServingMemoryTest {

    @Test
    void registrationChurnAndBatchesLeaveNoArraysBehind(@TempDir Path root) throws Exception {
        for (int i = 1; i <= 3; i++) {
            TinyBert.writeLora(root.resolve("a" + i), i, 16);
        }
        try (NDManager modelManager = NDManager.newBaseManager(); NDManager calls = NDManager.newBaseManager()) {
            AdapterRegistry registry = new AdapterRegistry(TinyBert.model(modelManager), new AdapterRoot(root),
                    new RegistryOptions(3, 1L << 30, ServingMode.UNMERGED));
            registry.scan();
            int before = modelManager.getManagedArrays().size();
            for (int cycle = 0; cycle < 10; cycle++) {
                registry.register("churn", "a1", true, false);          // evicts one of a1..a3 (max_loras 3)
                registry.update("churn", "a2", null, null);
                registry.unregister("churn");
                try (NDManager call = calls.newSubManager()) {
                    NDList inputs = TinyBert.inputs(call, 4, cycle);
                    registry.run(List.of("", "", "", ""), model -> model.forward(inputs)); // base rows only
                    registry.run(List.of("a1", "a2", "a3", ""), model -> "admitted and released");
                }
            }
            registry.unregister("a1");
            registry.register("a1", "a1", true, false);
            assertEquals(before, modelManager.getManagedArrays().size(), "arrays owned by the model's manager");
            assertEquals(0, calls.getManagedArrays().size(), "arrays left with the callers");
            assertEquals(3, registry.stats().resident());
        }
    }
}
