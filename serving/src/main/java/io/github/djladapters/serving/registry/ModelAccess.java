package io.github.djladapters.serving.registry;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.github.djladapters.finetune.ClassifierHead;
import io.github.djladapters.finetune.SavedClassifier;
import io.github.djladapters.models.generation.GradientsOff;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.PreparedRows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The only code that touches the {@link AdapterModel}: loading and removing adapter versions
 * excludes every forward (a write lock), unmerged forwards share the model (a read lock, per-row
 * routing is per thread; the lock is held per forward call, or for a routed scope), and merged
 * batches own the model while they switch the merged adapter and run. Every
 * forward runs with autograd off on its thread, since PyTorch's grad mode is per thread. A version
 * whose folder holds a saved classifier's head ({@value SavedClassifier#HEAD_FILE}) carries the head
 * read with its weights, so a batch sees the head and the weights of one load.
 */
final class ModelAccess {

    private final AdapterModel<?> model;
    private final ServingMode mode;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);
    private String merged; // the model name of the adapter merged into the base, MERGED mode only
    private final Map<String, LoadedHead> heads = new ConcurrentHashMap<>(); // by model name

    /** A classifier head and the manager of its arrays. */
    private record LoadedHead(ClassifierHead head, NDManager manager) {}

    ModelAccess(AdapterModel<?> model, ServingMode mode) {
        this.model = model;
        this.mode = mode;
    }

    AdapterModel<?> model() {
        return model;
    }

    /**
     * Loads an adapter folder under a new model name and measures its weights; all or nothing.
     *
     * @return the bytes of its weights
     * @throws RegistryException (424) naming the cause when it does not load
     */
    long load(String publicName, Path dir, String modelName) {
        lock.writeLock().lock();
        try (GradientsOff off = GradientsOff.onThisThread()) {
            unmergeAll();
            try {
                model.loadAdapter(dir, modelName);
                // served weights never train: frozen, mixed forwards may keep their stacked weights
                model.freezeAdapter(modelName, true);
                loadHead(dir, modelName);
            } catch (Exception e) {
                delete(modelName);
                throw new RegistryException(RegistryException.Reason.FAILED_DEPENDENCY,
                        "Failed to load adapter " + publicName + " from " + dir + ": " + e.getMessage(), e);
            }
            try (NDManager scratch = NDManager.newBaseManager()) {
                long bytes = 0;
                for (Map.Entry<String, NDArray> tensor : model.adapterTensors(modelName, scratch).entrySet()) {
                    bytes += tensor.getValue().size() * tensor.getValue().getDataType().getNumOfBytes();
                }
                LoadedHead head = heads.get(modelName);
                if (head != null) {
                    for (ai.djl.nn.Parameter parameter : head.head().parameters()) {
                        NDArray array = parameter.getArray();
                        bytes += array.size() * array.getDataType().getNumOfBytes();
                    }
                }
                return bytes;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The memory the per-row stacks of mixed forwards take (or will take once built) with these
     * versions resident: a copy of their LoRA weights at each layer, padded to the largest rank, with
     * a zero slot ({@code LoRALayer#keptRowStackBytes}); 0 in merged mode, which keeps none.
     *
     * @param modelNames the versions' model names
     * @return bytes
     */
    long keptRowStackBytes(List<String> modelNames) {
        if (mode != ServingMode.UNMERGED || modelNames.isEmpty()) {
            return 0;
        }
        java.util.Set<String> names = java.util.Set.copyOf(modelNames);
        long bytes = 0;
        for (io.github.djladapters.runtime.methods.AdapterLayer<?> layer : model.adapterLayers()) {
            if (layer instanceof io.github.djladapters.runtime.methods.lora.LoRALayer lora) {
                bytes += lora.keptRowStackBytes(names);
            }
        }
        return bytes;
    }

    /** Reads the classifier head beside an adapter's weights, when its folder has one. */
    private void loadHead(Path dir, String modelName) throws IOException {
        Path file = dir.resolve(SavedClassifier.HEAD_FILE);
        if (!Files.isRegularFile(file)) {
            return;
        }
        NDManager headManager = NDManager.newBaseManager();
        try {
            ClassifierHead head = ClassifierHead.load(file, headManager);
            head.parameters().forEach(parameter -> parameter.freeze(true));
            heads.put(modelName, new LoadedHead(head, headManager));
        } catch (IOException | RuntimeException e) {
            headManager.close();
            throw new IOException("classifier head " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The classifier head loaded with an adapter version.
     *
     * @param modelName the version's model name, {@code ""} for the base model
     * @return its head, or null when its folder had none
     */
    ClassifierHead head(String modelName) {
        LoadedHead head = heads.get(modelName);
        return head == null ? null : head.head();
    }

    /** Removes a version's weights (and its classifier head) from the model. */
    void delete(String modelName) {
        lock.writeLock().lock();
        try {
            if (modelName.equals(merged)) {
                merged = null;
            }
            LoadedHead head = heads.remove(modelName);
            if (head != null) {
                head.manager().close();
            }
            if (model.adapters().contains(modelName)) {
                model.deleteAdapter(modelName);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Runs one batch: unmerged, every row through its own adapter; merged, the rows' single adapter
     * merged into the base (switching costs an unmerge and a merge).
     *
     * @param rows one model adapter name per row, {@code ""} for the base model
     */
    <T> T run(List<String> rows, Function<AdapterForward, T> work) {
        if (mode == ServingMode.UNMERGED) {
            try (GradientsOff off = GradientsOff.onThisThread()) {
                return work.apply(new AdapterForward() {
                    @Override
                    public ClassifierHead classifierHead(int row) {
                        return head(rows.get(row));
                    }

                    @Override
                    public NDList forward(NDList inputs) {
                        lock.readLock().lock();
                        try {
                            return model.forward(inputs, rows);
                        } finally {
                            lock.readLock().unlock();
                        }
                    }

                    @Override
                    public AdapterModel.RowAdapters routeRows(NDManager manager) {
                        return underReadLock(() -> model.routeRows(rows, manager));
                    }
                });
            }
        }
        String wanted = singleAdapter(rows);
        lock.writeLock().lock();
        try (GradientsOff off = GradientsOff.onThisThread()) {
            if (!java.util.Objects.equals(merged, wanted)) {
                unmergeAll();
                if (wanted != null) {
                    model.mergeAdapter(wanted);
                    merged = wanted;
                }
            }
            return work.apply(new AdapterForward() {
                @Override
                public ClassifierHead classifierHead(int row) {
                    return head(rows.get(row));
                }

                @Override
                public NDList forward(NDList inputs) {
                    return model.forward(inputs);
                }

                @Override
                public AdapterModel.RowAdapters routeRows(NDManager manager) {
                    return () -> { };
                }
            });
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Routes rows for every forward on this thread until the scope closes, holding the model's read
     * lock meanwhile; unmerged mode only.
     */
    AdapterModel.RowAdapters route(List<String> rows, NDManager manager) {
        if (mode != ServingMode.UNMERGED) {
            throw new IllegalStateException("per-row routing across forwards needs unmerged mode");
        }
        lock.readLock().lock();
        try {
            AdapterModel.RowAdapters routed = model.routeRows(rows, manager);
            return () -> {
                routed.close();
                lock.readLock().unlock();
            };
        } catch (RuntimeException e) {
            lock.readLock().unlock();
            throw e;
        }
    }

    /**
     * Builds a per-row routing once for many forwards (the steps of a decoding batch), under the
     * model's read lock for the time it takes; unmerged mode only. Its layers keep at most
     * {@code keptBytes} of per-row weights across forwards.
     */
    PreparedRows prepare(List<String> rows, NDManager manager, long keptBytes) {
        if (mode != ServingMode.UNMERGED) {
            throw new IllegalStateException("per-row routing across forwards needs unmerged mode");
        }
        lock.readLock().lock();
        try {
            return model.prepareRows(rows, manager, keptBytes);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Puts prepared rows in force for the forwards on this thread until the scope closes, under the read lock. */
    AdapterModel.RowAdapters route(PreparedRows rows) {
        return underReadLock(() -> model.routeRows(rows));
    }

    /** A routing scope that holds the read lock from its making until it closes. */
    private AdapterModel.RowAdapters underReadLock(java.util.function.Supplier<AdapterModel.RowAdapters> routing) {
        lock.readLock().lock();
        try {
            AdapterModel.RowAdapters routed = routing.get();
            return () -> {
                routed.close();
                lock.readLock().unlock();
            };
        } catch (RuntimeException e) {
            lock.readLock().unlock();
            throw e;
        }
    }

    private static String singleAdapter(List<String> rows) {
        java.util.Set<String> distinct = new java.util.HashSet<>(rows);
        if (distinct.size() > 1) {
            throw new IllegalArgumentException("merged mode runs one adapter per batch, got " + distinct);
        }
        String only = distinct.isEmpty() ? "" : distinct.iterator().next();
        return only.isEmpty() ? null : only;
    }

    private void unmergeAll() {
        if (merged != null) {
            model.unmergeAdapter();
            merged = null;
        }
    }
}
