package io.github.djladapters.serving.registry;

import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.PreparedRows;
import io.github.djladapters.runtime.methods.RowArrayCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The adapters served over one base model, usable without HTTP: DJL Serving's register, update,
 * unregister, describe and paged list, its {@code preload} and {@code pin} options, {@code max_loras}
 * resident adapters with least-recently-used eviction of unpinned ones, and a bound on the memory
 * adapters take: their weights, the per-layer stacks of them that mixed forwards keep, and the
 * per-row weights that running decoding batches keep ({@link #prepareRows}).
 *
 * <p>Registration is atomic: an adapter that fails to load (bad config, shapes that do not fit the
 * base model, a method the model does not support) leaves the registry and the model as they were
 * and the {@link RegistryException} says why. Weights are versioned: {@link #run} admits each batch
 * with the versions current at that moment, an update loads a new version beside the old one, and a
 * replaced or unregistered version leaves the model only when its last batch has finished, so no
 * batch ever sees a mix of old and new weights.
 *
 * <pre>{@code
 * AdapterRegistry registry = new AdapterRegistry(Adapters.init(model), new AdapterRoot(dir), RegistryOptions.DEFAULTS);
 * registry.scan();                                     // every sub-folder of dir, by its name
 * registry.register("a1", "a1", true, false);
 * NDList out = registry.run(List.of("a1", "", "a1"), model -> model.forward(inputs));
 * }</pre>
 */
public final class AdapterRegistry implements AutoCloseable {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final ModelAccess access;
    private final AdapterRoot root;
    private final RegistryOptions options;
    private final Object lock = new Object();
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Set<AdapterVersion> resident = new LinkedHashSet<>();
    private long versions;
    private long clock;
    private long evictions;
    private boolean closed;
    /** Open prepared rows and the bytes of per-row weights each may keep (weakly: dropped rows count no more). */
    private final Map<PreparedRows, Long> reservations = new WeakHashMap<>();
    /** Budgets handed to rows still being prepared (not yet in {@link #reservations}); guarded by {@code lock}. */
    private long pendingReservations;

    /** One registered adapter; {@code current} is null while it is not resident. */
    private static final class Entry {
        final String name;
        Path src;
        boolean preload;
        boolean pin;
        AdapterVersion current;

        Entry(String name, Path src, boolean preload, boolean pin) {
            this.name = name;
            this.src = src;
            this.preload = preload;
            this.pin = pin;
        }

        AdapterInfo info() {
            return new AdapterInfo(name, src.toString(), preload, pin);
        }
    }

    /**
     * A registry over a model.
     *
     * @param model the base model with its adapter API; the registry owns its adapters from now on
     * @param root the only folder adapters are loaded from
     * @param options residency limits and mode
     */
    public AdapterRegistry(AdapterModel<?> model, AdapterRoot root, RegistryOptions options) {
        this.access = new ModelAccess(model, options.mode());
        this.root = root;
        this.options = options;
    }

    /**
     * The adapter root.
     *
     * @return the root
     */
    public AdapterRoot root() {
        return root;
    }

    /**
     * The limits and mode.
     *
     * @return the options
     */
    public RegistryOptions options() {
        return options;
    }

    /**
     * Registers every sub-folder of the root that holds an {@code adapter_config.json} under the
     * folder's name, preloaded, as DJL Serving does with a model's {@code adapters/} folder. A folder
     * that fails is reported and skipped; the others are registered.
     *
     * @return folder name to the reason it failed; empty when all registered
     * @throws IOException when the root cannot be listed
     */
    public Map<String, String> scan() throws IOException {
        List<Path> folders;
        try (Stream<Path> listing = Files.list(root.path())) {
            folders = listing.filter(p -> Files.isRegularFile(p.resolve("adapter_config.json"))).sorted().toList();
        }
        Map<String, String> failures = new LinkedHashMap<>();
        for (Path folder : folders) {
            String name = folder.getFileName().toString();
            try {
                if (!contains(name)) {
                    register(name, name, true, false);
                }
            } catch (RegistryException e) {
                failures.put(name, e.getMessage());
            }
        }
        return failures;
    }

    /**
     * Registers an adapter.
     *
     * @param name the adapter's name (letters, digits, {@code . _ -})
     * @param src its folder: relative to the root, or absolute inside it
     * @param preload whether to load it now (DJL Serving's default: true); a pinned adapter always is
     * @param pin whether it stays resident
     * @return what describe reports
     * @throws RegistryException 400 for a bad name or src, 409 when the name is taken, 424 when it does
     *     not load, 507 when there is no room; nothing changes then
     */
    public AdapterInfo register(String name, String src, boolean preload, boolean pin) {
        checkName(name);
        Path dir = root.resolve(src);
        synchronized (lock) {
            requireOpen();
            if (entries.containsKey(name)) {
                throw new RegistryException(RegistryException.Reason.CONFLICT, "Adapter " + name + " is already registered");
            }
            Entry entry = new Entry(name, dir, preload || pin, pin);
            if (entry.preload) {
                entry.current = load(entry, null);
            } else if (!Files.isRegularFile(dir.resolve("adapter_config.json"))) {
                throw new RegistryException(RegistryException.Reason.FAILED_DEPENDENCY,
                        "Failed to register adapter " + name + ": no adapter_config.json in " + dir);
            }
            entries.put(name, entry);
            return entry.info();
        }
    }

    /**
     * Updates an adapter's options and, when it is resident or preloaded, reloads its weights as a new
     * version: batches admitted before keep the old weights, later ones get the new.
     *
     * @param name a registered adapter
     * @param src a new folder, or null to keep the current one
     * @param preload new preload option, or null to keep it
     * @param pin new pin option, or null to keep it
     * @return what describe reports now
     * @throws RegistryException 404 for an unknown name; 400, 424 or 507 as {@link #register}, with
     *     nothing changed
     */
    public AdapterInfo update(String name, String src, Boolean preload, Boolean pin) {
        Path dir = src == null ? null : root.resolve(src);
        synchronized (lock) {
            requireOpen();
            Entry entry = require(name);
            Path newSrc = dir == null ? entry.src : dir;
            boolean newPin = pin == null ? entry.pin : pin;
            boolean newPreload = (preload == null ? entry.preload : preload) || newPin;
            Entry updated = new Entry(name, newSrc, newPreload, newPin);
            AdapterVersion old = entry.current;
            if (newPreload || old != null) {
                updated.current = load(updated, old);
                retire(old);
            } else if (!Files.isRegularFile(newSrc.resolve("adapter_config.json"))) {
                throw new RegistryException(RegistryException.Reason.FAILED_DEPENDENCY,
                        "Failed to update adapter " + name + ": no adapter_config.json in " + newSrc);
            }
            entry.src = updated.src;
            entry.preload = updated.preload;
            entry.pin = updated.pin;
            entry.current = updated.current;
            return entry.info();
        }
    }

    /**
     * Unregisters an adapter; its weights leave the model once no batch uses them.
     *
     * @param name a registered adapter
     * @throws RegistryException 404 for an unknown name
     */
    public void unregister(String name) {
        synchronized (lock) {
            Entry entry = require(name);
            entries.remove(name);
            retire(entry.current);
        }
    }

    /**
     * Describes one adapter.
     *
     * @param name a registered adapter
     * @return its name, src, preload and pin
     * @throws RegistryException 404 for an unknown name
     */
    public AdapterInfo describe(String name) {
        synchronized (lock) {
            return require(name).info();
        }
    }

    /**
     * Whether an adapter is registered.
     *
     * @param name an adapter name
     * @return true when registered
     */
    public boolean contains(String name) {
        synchronized (lock) {
            return entries.containsKey(name);
        }
    }

    /**
     * Every registered adapter, in registration order.
     *
     * @return the adapters
     */
    public List<AdapterInfo> adapters() {
        synchronized (lock) {
            return entries.values().stream().map(Entry::info).toList();
        }
    }

    /**
     * One page of the list, with DJL Serving's paging: the token is the index of the page's first
     * adapter, a limit outside 0..100 means 100.
     *
     * @param limit the page size
     * @param pageToken where the page starts (0 for the first)
     * @return the page and the next page's token (null on the last page)
     */
    public AdapterPage list(int limit, int pageToken) {
        List<AdapterInfo> all = adapters();
        int size = limit < 0 || limit > 100 ? 100 : limit;
        int from = Math.max(0, Math.min(pageToken, all.size()));
        int to = Math.min(all.size(), from + size);
        return new AdapterPage(all.subList(from, to), to < all.size() ? String.valueOf(to) : null);
    }

    /**
     * Runs one batch with an adapter per row. The rows' adapters are made resident (loading and
     * evicting as needed) and held until {@code work} returns, so none of them is evicted, replaced or
     * removed under it.
     *
     * @param rowAdapters one registered adapter name per row; {@code ""} or null for the base model
     * @param work what to run with the model; it is called on this thread with autograd off
     * @param <T> its result
     * @return what {@code work} returns
     * @throws RegistryException 424 "Adapter X is not registered" or when one fails to load; 507 when
     *     there is no room for it
     */
    public <T> T run(List<String> rowAdapters, Function<AdapterForward, T> work) {
        List<AdapterVersion> held = new ArrayList<>();
        List<String> rows = new ArrayList<>(rowAdapters.size());
        synchronized (lock) {
            try {
                Map<String, AdapterVersion> byName = new LinkedHashMap<>();
                for (String name : rowAdapters) {
                    if (name == null || name.isEmpty()) {
                        rows.add("");
                        continue;
                    }
                    AdapterVersion version = byName.get(name);
                    if (version == null) {
                        version = admit(name);
                        byName.put(name, version);
                        held.add(version);
                    }
                    rows.add(version.modelName);
                }
            } catch (RuntimeException e) {
                release(held);
                throw e;
            }
        }
        try {
            return access.run(rows, work);
        } finally {
            synchronized (lock) {
                release(held);
            }
        }
    }

    /**
     * Holds the current version of one adapter for one row until closed, for loops in which rows
     * join and leave (continuous batching); see {@link #routeRows}.
     *
     * @param adapter a registered adapter, {@code ""} or null for the base model
     * @return the lease
     * @throws RegistryException as {@link #run}
     */
    public AdapterLease lease(String adapter) {
        if (adapter == null || adapter.isEmpty()) {
            return new AdapterLease(this, null);
        }
        synchronized (lock) {
            return new AdapterLease(this, admit(adapter));
        }
    }

    /**
     * Routes rows, each to its leased adapter version, for every forward on this thread until the
     * returned scope closes (unmerged mode). Registrations wait while the scope is open.
     *
     * @param rows one lease per row
     * @param manager owns the routing masks until the scope closes
     * @return the scope to close
     */
    public AdapterModel.RowAdapters routeRows(List<AdapterLease> rows, ai.djl.ndarray.NDManager manager) {
        return access.route(rows.stream().map(AdapterLease::modelName).toList(), manager);
    }

    /**
     * Builds the routing of rows, each to its leased adapter version, once for many forwards (the
     * decoding steps of a batch whose rows do not change; unmerged mode). It holds no lock between
     * forwards, so registrations go on meanwhile; the leases keep the rows' versions in the model.
     *
     * <p>The rows' layers keep each row's gathered LoRA weights across forwards up to a budget taken
     * from the adapter memory bound: what the bound leaves beside the resident adapters, at most
     * {@link RowArrayCache#DEFAULT_BUDGET_BYTES}. The budget counts against the bound (evictions make
     * room for it, new adapters find less) until the rows close; with none left, each forward gathers
     * for itself and keeps nothing.
     *
     * @param rows one lease per row
     * @param manager owns the routing masks and the per-row weights kept for the rows until they are closed
     * @return the rows; put them in force with {@link #routeRows(PreparedRows)}, close them when the rows change
     */
    public PreparedRows prepareRows(List<AdapterLease> rows, ai.djl.ndarray.NDManager manager) {
        long budget;
        synchronized (lock) { // counted as pending at once, so concurrent preparations cannot share one room
            budget = Math.max(0, Math.min(RowArrayCache.DEFAULT_BUDGET_BYTES,
                    options.maxAdapterBytes() - residentBytes(resident)));
            pendingReservations += budget;
        }
        PreparedRows prepared = null;
        try {
            prepared = access.prepare(rows.stream().map(AdapterLease::modelName).toList(), manager, budget);
        } finally {
            synchronized (lock) {
                pendingReservations -= budget;
                if (prepared != null) {
                    reservations.put(prepared, budget);
                }
            }
        }
        return prepared;
    }

    /**
     * Puts prepared rows in force for every forward on this thread until the returned scope closes.
     * Registrations wait while the scope is open (one forward), not between scopes.
     *
     * @param rows rows from {@link #prepareRows}
     * @return the scope to close
     */
    public AdapterModel.RowAdapters routeRows(PreparedRows rows) {
        return access.route(rows);
    }

    void release(AdapterVersion version) {
        synchronized (lock) {
            List<AdapterVersion> held = new ArrayList<>(List.of(version));
            release(held);
        }
    }

    /**
     * The residency counters.
     *
     * @return a snapshot
     */
    public RegistryStats stats() {
        synchronized (lock) {
            return new RegistryStats(entries.size(), resident.size(), residentBytes(resident), evictions);
        }
    }

    /**
     * Whether an adapter's weights are in the model now.
     *
     * @param name a registered adapter
     * @return true when resident
     */
    public boolean isResident(String name) {
        synchronized (lock) {
            Entry entry = entries.get(name);
            return entry != null && entry.current != null;
        }
    }

    private AdapterVersion admit(String name) {
        requireOpen();
        Entry entry = entries.get(name);
        if (entry == null) {
            throw new RegistryException(RegistryException.Reason.FAILED_DEPENDENCY, "Adapter " + name + " is not registered");
        }
        if (entry.current == null) {
            entry.current = load(entry, null);
        }
        entry.current.users++;
        entry.current.lastUsed = ++clock;
        return entry.current;
    }

    private void release(List<AdapterVersion> held) {
        for (AdapterVersion version : held) {
            version.users--;
            if (version.retired && version.users == 0) {
                remove(version);
            }
        }
        held.clear();
        if (closed) {
            lock.notifyAll();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new RegistryException(RegistryException.Reason.UNAVAILABLE,
                    "The server is shutting down: no new adapters or requests are accepted");
        }
    }

    /**
     * Closes the registry, waiting up to 10 s for batches in flight; see {@link #close(Duration)}.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    /**
     * Closes the registry in order: from now on registrations, updates and batches fail with
     * {@link RegistryException.Reason#UNAVAILABLE} (503); batches and leases in flight keep their
     * versions and finish; every version (its weights, classifier head and the model's per-row copy)
     * leaves the model as soon as no batch uses it. Waits up to {@code wait} for that; a version
     * still in use then leaves when its last batch releases it. Calling it again does nothing more.
     *
     * @param wait how long to wait for batches in flight
     * @return the versions still in use when it returned (0 when everything was freed)
     */
    public int close(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            closed = true;
            for (Entry entry : entries.values()) {
                entry.current = null;
            }
            entries.clear();
            for (AdapterVersion version : new ArrayList<>(resident)) {
                retire(version);
            }
            try {
                while (!resident.isEmpty()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return resident.size();
        }
    }

    /** Loads a new version of {@code entry}, making room by evicting; {@code replacing} leaves after. */
    private AdapterVersion load(Entry entry, AdapterVersion replacing) {
        String modelName = entry.name + "#" + (++versions);
        long bytes = access.load(entry.name, entry.src, modelName);
        AdapterVersion version = new AdapterVersion(entry.name, modelName, entry.src, bytes, entry.pin);
        List<AdapterVersion> victims;
        try {
            victims = victims(version, replacing);
        } catch (RegistryException e) {
            access.delete(modelName);
            throw e;
        }
        for (AdapterVersion victim : victims) {
            entries.get(victim.name).current = null;
            remove(victim);
            evictions++;
        }
        version.lastUsed = ++clock;
        resident.add(version);
        return version;
    }

    /**
     * The least recently used unpinned idle versions to evict so that {@code added} fits, counting
     * the weights and the copy that mixed forwards keep of them ({@link #residentBytes}).
     */
    private List<AdapterVersion> victims(AdapterVersion added, AdapterVersion replacing) {
        boolean replacedLeaves = replacing != null && replacing.users == 0;
        List<AdapterVersion> kept = new ArrayList<>(resident);
        if (replacedLeaves) {
            kept.remove(replacing);
        }
        kept.add(added);
        List<AdapterVersion> candidates = resident.stream()
                .filter(v -> v != replacing && !v.retired && !v.pinned && v.users == 0)
                .sorted(Comparator.comparingLong(v -> v.lastUsed))
                .toList();
        List<AdapterVersion> victims = new ArrayList<>();
        long bytes = residentBytes(kept);
        for (AdapterVersion candidate : candidates) {
            if (kept.size() <= options.maxLoras() && bytes <= options.maxAdapterBytes()) {
                break;
            }
            victims.add(candidate);
            kept.remove(candidate);
            bytes = residentBytes(kept);
        }
        if (kept.size() > options.maxLoras() || bytes > options.maxAdapterBytes()) {
            kept.remove(added);
            throw new RegistryException(RegistryException.Reason.INSUFFICIENT_STORAGE, "No room for adapter " + added.name
                    + " (" + added.bytes + " bytes of weights): " + resident.size() + " of max_loras " + options.maxLoras()
                    + " resident, " + residentBytes(kept) + " of " + options.maxAdapterBytes()
                    + " bytes used by adapters that are pinned or in use (weights, the per-row copy of mixed batches and"
                    + " the per-row weights running decoding batches keep)");
        }
        return victims;
    }

    /**
     * The memory of some resident versions: their weights (and classifier heads), plus the per-row
     * copy of their LoRA weights that mixed forwards keep at each layer in unmerged mode, plus what
     * the open prepared rows of decoding batches may keep ({@link #prepareRows}: each row's gathered
     * LoRA weights, up to the budget each was given).
     */
    private long residentBytes(java.util.Collection<AdapterVersion> versions) {
        long weights = versions.stream().mapToLong(v -> v.bytes).sum();
        return weights + access.keptRowStackBytes(versions.stream().map(v -> v.modelName).toList()) + reservedBytes();
    }

    /** The budgets of the prepared rows still open; closed ones leave the count. */
    private long reservedBytes() {
        reservations.keySet().removeIf(rows -> !rows.isOpen());
        return pendingReservations + reservations.values().stream().mapToLong(Long::longValue).sum();
    }

    private void retire(AdapterVersion version) {
        if (version == null) {
            return;
        }
        version.retired = true;
        if (version.users == 0) {
            remove(version);
        }
    }

    private void remove(AdapterVersion version) {
        resident.remove(version);
        access.delete(version.modelName);
    }

    private Entry require(String name) {
        Entry entry = entries.get(name);
        if (entry == null) {
            throw new RegistryException(RegistryException.Reason.NOT_FOUND, "The adapter " + name + " was not found");
        }
        return entry;
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new RegistryException(RegistryException.Reason.BAD_REQUEST, "Parameter name is required");
        }
        if (!NAME.matcher(name).matches()) {
            throw new RegistryException(RegistryException.Reason.BAD_REQUEST, "Invalid adapter name '" + name
                    + "': use letters, digits, '.', '_' and '-' (at most 128, starting with a letter or digit)");
        }
    }
}
