package io.github.djladapters.serving.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Keeps a registry in step with its adapter root, so that replicas sharing one folder serve the same
 * adapters: a sub-folder that appears (with {@code adapter_config.json} and a safetensors file) is
 * registered under its name, one whose files change is reloaded ({@link AdapterRegistry#update}),
 * and one that disappears is unregistered. Only adapters whose src is {@code <root>/<name>} are
 * touched; adapters registered from other folders are left alone. The root is read every
 * {@code intervalMillis}; write an adapter into a temporary folder and rename it into the root, so a
 * poll never sees half its files. A folder that fails to load is retried when its files change.
 */
public final class AdapterRootWatcher implements AutoCloseable {

    private final AdapterRegistry registry;
    private final ScheduledExecutorService timer;
    private final Map<String, FileTime> seen = new HashMap<>();

    /**
     * Starts watching.
     *
     * @param registry the registry whose root is watched
     * @param intervalMillis how often the root is read
     */
    public AdapterRootWatcher(AdapterRegistry registry, long intervalMillis) {
        this.registry = registry;
        for (AdapterInfo adapter : registry.adapters()) {
            Path folder = registry.root().path().resolve(adapter.name());
            if (Path.of(adapter.src()).equals(folder)) {
                seen.put(adapter.name(), stamp(folder));
            }
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "adapter-root-watch");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::pollQuietly, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (IOException | RuntimeException e) {
            System.err.println("watching " + registry.root().path() + ": " + e.getMessage());
        }
    }

    /**
     * Reads the root once and registers, reloads or unregisters what changed.
     *
     * @throws IOException when the root cannot be listed
     */
    synchronized void poll() throws IOException {
        Path root = registry.root().path();
        Map<String, FileTime> present = new HashMap<>();
        try (Stream<Path> folders = Files.list(root)) {
            for (Path folder : folders.filter(AdapterRootWatcher::isAdapterFolder).toList()) {
                present.put(folder.getFileName().toString(), stamp(folder));
            }
        }
        for (Map.Entry<String, FileTime> folder : present.entrySet()) {
            String name = folder.getKey();
            FileTime before = seen.get(name);
            if (folder.getValue().equals(before)) {
                continue;
            }
            seen.put(name, folder.getValue());
            try {
                if (!registry.contains(name)) {
                    registry.register(name, name, true, false);
                } else if (before != null && Path.of(registry.describe(name).src()).equals(root.resolve(name))) {
                    registry.update(name, null, null, null);
                }
            } catch (RegistryException e) {
                System.err.println("adapter " + name + " not registered: " + e.getMessage());
            }
        }
        for (String name : List.copyOf(seen.keySet())) {
            if (!present.containsKey(name)) {
                seen.remove(name);
                try {
                    if (Path.of(registry.describe(name).src()).startsWith(root.resolve(name))) {
                        registry.unregister(name);
                    }
                } catch (RegistryException gone) {
                    // already unregistered through the API
                }
            }
        }
    }

    private static boolean isAdapterFolder(Path folder) {
        if (!Files.isRegularFile(folder.resolve("adapter_config.json"))) {
            return false;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".safetensors"));
        } catch (IOException e) {
            return false;
        }
    }

    /** The newest modification time of the folder's files. */
    private static FileTime stamp(Path folder) {
        FileTime newest = FileTime.fromMillis(0);
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.toList()) {
                FileTime time = Files.getLastModifiedTime(file);
                newest = time.compareTo(newest) > 0 ? time : newest;
            }
        } catch (IOException e) {
            return newest;
        }
        return newest;
    }

    /** Stops watching. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
