package io.github.djladapters.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.composition.CompositionPlanner;
import io.github.djladapters.runtime.composition.Fuse;
import io.github.djladapters.runtime.files.AdapterFusionFiles;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AdapterFusionConfig;
import io.github.djladapters.runtime.methods.FusionSite;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The model's AdapterFusion layers, by the library's name (the fused adapters joined by commas),
 * each spread over the {@link FusionSite}s that hold its adapters. Called under the model lock.
 */
final class AdapterFusions {

    /** One fusion: its adapters and config. */
    record Fusion(List<String> adapters, AdapterFusionConfig config) {}

    private final AdapterInventory inventory;
    private final Map<String, Fusion> fusions = new LinkedHashMap<>();

    AdapterFusions(AdapterInventory inventory) {
        this.inventory = inventory;
    }

    Map<String, Fusion> all() {
        return fusions;
    }

    /** Adds a fusion layer at every site of its adapters; all or nothing. */
    String add(Fuse fuse, AdapterFusionConfig config) {
        String name = CompositionPlanner.fusionName(fuse);
        if (fusions.containsKey(name)) {
            throw new IllegalArgumentException("adapter fusion '" + name + "' exists; delete it first");
        }
        if (fuse.children().size() < 2) {
            throw new IllegalArgumentException(fuse + ": an adapter fusion needs at least two adapters");
        }
        CompositionPlanner.plan(fuse, inventory::require); // every adapter known, every method able to fuse
        List<String> adapters = List.copyOf(fuse.adapterNames());
        List<FusionSite> sites = sites(name, adapters);
        List<FusionSite> done = new ArrayList<>();
        try {
            for (FusionSite site : sites) {
                site.addFusion(name, adapters, config);
                done.add(site);
            }
        } catch (RuntimeException e) {
            done.forEach(site -> site.removeFusion(name));
            throw e;
        }
        fusions.put(name, new Fusion(adapters, config));
        return name;
    }

    private List<FusionSite> sites(String name, List<String> adapters) {
        List<FusionSite> sites = new ArrayList<>();
        for (AdapterAttachment attachment : inventory.attachments()) {
            if (!(attachment instanceof FusionSite site)) {
                continue;
            }
            List<String> held = adapters.stream().filter(site.adapterNames()::contains).toList();
            if (held.isEmpty()) {
                continue;
            }
            if (held.size() != adapters.size()) {
                throw new IllegalArgumentException("adapter fusion '" + name + "': '" + site.modulePath() + "' holds "
                        + held + " but not " + new TreeSet<>(adapters.stream().filter(a -> !held.contains(a)).toList())
                        + "; fused adapters must sit at the same places (same mh_adapter/output_adapter, leave_out)");
            }
            sites.add(site);
        }
        if (sites.isEmpty()) {
            throw new IllegalArgumentException("adapter fusion '" + name + "': no place holds its adapters " + adapters);
        }
        return sites;
    }

    Fusion require(String name) {
        Fusion fusion = fusions.get(name);
        if (fusion == null) {
            throw new IllegalArgumentException("no adapter fusion '" + name + "'; fusions: " + fusions.keySet()
                    + " (add one with addAdapterFusion or loadAdapterFusion)");
        }
        return fusion;
    }

    void delete(String name) {
        require(name);
        for (FusionSite site : fusionSites()) {
            site.removeFusion(name);
        }
        fusions.remove(name);
    }

    /** Forgets the fusions over a deleted adapter (its sites dropped them with it). */
    void forgetAdapter(String adapter) {
        fusions.entrySet().removeIf(e -> e.getValue().adapters().contains(adapter));
    }

    List<Parameter> parameters(String name) {
        require(name);
        List<Parameter> parameters = new ArrayList<>();
        fusionSites().forEach(site -> parameters.addAll(site.fusionParameters(name)));
        return parameters;
    }

    /** The fusion's tensors under the library's full keys, {@code <site>.adapter_fusion_layer.<name>.query.weight}. */
    Map<String, NDArray> export(String name, NDManager manager) {
        require(name);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (FusionSite site : fusionSites()) {
            if (site.fusions().containsKey(name)) {
                site.exportFusion(name, manager).forEach((suffix, value) -> tensors.put(key(site, suffix), value));
            }
        }
        return tensors;
    }

    /** Sets the fusion's tensors after checking every key and shape; nothing changes when a check fails. */
    void load(String name, Map<String, NDArray> tensors, String source) {
        require(name);
        Map<String, Shape> expected = new LinkedHashMap<>();
        Map<String, FusionSite> owner = new LinkedHashMap<>();
        Map<String, String> suffixes = new LinkedHashMap<>();
        for (FusionSite site : fusionSites()) {
            if (site.fusions().containsKey(name)) {
                site.fusionShapes(name).forEach((suffix, shape) -> {
                    expected.put(key(site, suffix), shape);
                    owner.put(key(site, suffix), site);
                    suffixes.put(key(site, suffix), suffix);
                });
            }
        }
        List<String> missing = expected.keySet().stream().filter(k -> !tensors.containsKey(k)).toList();
        List<String> unexpected = tensors.keySet().stream().filter(k -> !expected.containsKey(k)).sorted().toList();
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(source + ": adapter fusion '" + name + "': missing keys " + missing
                    + ", unexpected keys " + unexpected);
        }
        expected.forEach((key, shape) -> {
            if (!tensors.get(key).getShape().equals(shape)) {
                throw new IllegalArgumentException(source + ": key '" + key + "' has shape " + tensors.get(key).getShape()
                        + ", expected " + shape);
            }
        });
        expected.keySet().forEach(key -> owner.get(key).importFusion(name, suffixes.get(key), tensors.get(key)));
    }

    /** Writes a fusion in the Adapters library's layout; see {@link AdapterModel#saveAdapterFusion}. */
    void save(Path dir, String name) throws IOException {
        Fusion fusion = require(name);
        try (NDManager scope = NDManager.newBaseManager()) {
            AdapterFusionFiles.save(dir, name, fusion.config(), export(name, scope));
        }
    }

    /** Reads a fusion and adds it, all or nothing; see {@link AdapterModel#loadAdapterFusion}. */
    Fuse load(Path dir) throws IOException {
        try (NDManager scope = NDManager.newBaseManager()) {
            AdapterFusionFiles.Loaded loaded = AdapterFusionFiles.read(dir, scope);
            Fuse fuse = Fuse.of(loaded.name().split(","));
            String name = add(fuse, loaded.config());
            try {
                load(name, loaded.tensors(), dir.resolve(AdapterFusionFiles.WEIGHTS_FILE).toString());
            } catch (RuntimeException e) {
                delete(name);
                throw e;
            }
            return fuse;
        }
    }

    private List<FusionSite> fusionSites() {
        List<FusionSite> sites = new ArrayList<>();
        for (AdapterAttachment attachment : inventory.attachments()) {
            if (attachment instanceof FusionSite site) {
                sites.add(site);
            }
        }
        return sites;
    }

    private static String key(FusionSite site, String suffix) {
        return site.modulePath().isEmpty() ? suffix : site.modulePath() + "." + suffix;
    }
}
