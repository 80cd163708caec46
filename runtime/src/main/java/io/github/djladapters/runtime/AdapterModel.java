package io.github.djladapters.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.djladapters.annotations.AdapterMethod;
import io.github.djladapters.runtime.bindings.ModelBindings;
import io.github.djladapters.runtime.composition.BatchCopies;
import io.github.djladapters.runtime.composition.Composition;
import io.github.djladapters.runtime.composition.CompositionPlan;
import io.github.djladapters.runtime.composition.CompositionPlanner;
import io.github.djladapters.runtime.composition.Fuse;
import io.github.djladapters.runtime.composition.Parallel;
import io.github.djladapters.runtime.composition.BatchSplit;
import io.github.djladapters.runtime.composition.Average;
import io.github.djladapters.runtime.composition.Split;
import io.github.djladapters.runtime.composition.Stack;
import io.github.djladapters.runtime.bindings.Site;
import io.github.djladapters.runtime.files.AdapterStore;
import io.github.djladapters.runtime.files.PeftAdapterFiles;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterAttachment;
import io.github.djladapters.runtime.methods.AdapterFusionConfig;
import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.AdapterLayer;
import io.github.djladapters.runtime.methods.AdapterRouting;
import io.github.djladapters.runtime.methods.BoundModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A model with adapters: created by {@link Adapters#init}, which checks the bindings that find the
 * model's parts (every declared site of every layer resolves to a block registered in the model's
 * child tree). Adapters are added, switched, trained, merged and removed here; adapter methods
 * read and replace sites through it and name tensors by its Hugging Face style
 * {@link #modulePath module paths}.
 *
 * <pre>{@code
 * AdapterModel<LlamaModel> peft = Adapters.init(model);
 * peft.addAdapter("sst2", LoRAConfig.builder().r(8).targetModules("q_proj", "v_proj").build());
 * peft.trainAdapter("sst2");                          // base frozen, only sst2 trains
 * System.out.println(peft.printTrainableParameters());
 * try (AdapterModel.DisabledScope base = peft.disableAdapters()) {
 *     peft.forward(inputs);                           // the base model's output
 * }
 * peft.forward(inputs, List.of("sst2", "", "sst2")); // one adapter per row, "" = base
 * LlamaModel merged = peft.mergeAndUnload();
 * }</pre>
 *
 * <p>Threads: every method may be called from any thread. Forwards ({@link #forward(NDList)},
 * {@link #forward(NDList, List)}, {@link #routeRows} scopes) run concurrently. Changes (add, delete,
 * load, merge, unmerge, unload, {@link #disableAdapters()}, {@link #trainAdapter}) wait until running
 * forwards end and block new ones meanwhile, so a forward sees each adapter whole or not at all; a
 * change called inside a routing scope on the same thread fails at once. {@link #setActiveAdapters}
 * sets the model-wide choice (as in PEFT) and the calling thread's own: a thread that has chosen keeps
 * its choice, threads that have not follow the model-wide one, and a forward whose chosen adapter was
 * deleted by another thread fails with an error naming it. Merging and disabling are model-wide.
 * Calls that run the model directly ({@code model().forward} in training, a generator outside a
 * {@link #routeRows} scope) are not guarded: do not change adapters while they run. The per-row choice of {@link #forward(NDList, List)} belongs to the calling thread only.
 *
 * @param <M> the model class
 */
public final class AdapterModel<M extends Block> implements AdapterStore {

    /** The row name for the base model in {@link #forward(NDList, List)}, besides {@code ""} (PEFT's name). */
    public static final String BASE_MODEL = "__base__";

    private final M model;
    private final ModelBindings<? super M> bindings;
    private final ModelView<M> view;
    private final AdapterInventory inventory;
    private final AdapterFusions fusions;
    private final ParameterCensus census;
    private final ModelLock lock = new ModelLock();
    private volatile String baseModelNameOrPath;

    private AdapterModel(M model, ModelBindings<? super M> bindings) {
        this.model = model;
        this.bindings = bindings;
        this.view = new ModelView<>(model, bindings);
        this.inventory = new AdapterInventory(view, BASE_MODEL);
        this.fusions = new AdapterFusions(inventory);
        this.census = new ParameterCensus(model, inventory, fusions);
    }

    /** Checks the bindings against the model and binds them. */
    static <M extends Block> AdapterModel<M> bind(M model, ModelBindings<? super M> bindings) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(bindings, "bindings");
        if (!bindings.modelType().isInstance(model)) {
            throw new IllegalArgumentException("adapter bindings declared by " + bindings.declaringType().getName()
                    + " are for " + bindings.modelType().getName() + ", not " + model.getClass().getName());
        }
        BindingsCheck.verify(model, bindings);
        return new AdapterModel<>(model, bindings);
    }

    /**
     * The model.
     *
     * @return the model, with any replacements made through this binding
     */
    public M model() {
        return model;
    }

    /**
     * The bindings that find the model's parts.
     *
     * @return the bindings
     */
    public ModelBindings<? super M> bindings() {
        return bindings;
    }

    /**
     * The adapter methods the model's declaration supports.
     *
     * @return an unmodifiable set
     */
    public Set<AdapterMethod> methods() {
        return bindings.methods();
    }

    /**
     * The per-layer sites the declaration names.
     *
     * @return an unmodifiable set
     */
    public Set<Site> sites() {
        return bindings.sites();
    }

    /**
     * The number of transformer layers.
     *
     * @return the layer count
     */
    public int layerCount() {
        return bindings.layerCount(model);
    }

    /**
     * The token embedding block.
     *
     * @return the embeddings
     */
    public Block embeddings() {
        return bindings.embeddings(model);
    }

    /**
     * The block at one site of one layer.
     *
     * @param layer the layer index, from 0
     * @param site a declared site
     * @return the block now at that site
     */
    public Block block(int layer, Site site) {
        return bindings.get(model, layer, site);
    }

    /**
     * Puts a block at one site of one layer, in the owner's field and DJL's child list alike, so
     * that forward passes, parameter listing, freezing and saving see it under the old name.
     *
     * @param layer the layer index, from 0
     * @param site a declared site
     * @param with the new block, usually a wrapper around {@link #block(int, Site)}
     */
    public void replace(int layer, Site site, Block with) {
        view.replace(layer, site, with);
    }

    /**
     * The Hugging Face style module path of one site, the prefix of its saved tensor names.
     *
     * @param layer the layer index, from 0
     * @param site a declared site
     * @return for example {@code layers.1.self_attn.q_proj}
     */
    public String modulePath(int layer, Site site) {
        return bindings.modulePath(model, layer, site);
    }

    /**
     * The Hugging Face style module path of the embeddings.
     *
     * @return for example {@code embed_tokens}
     */
    public String embeddingsPath() {
        return bindings.embeddingsPath(model);
    }

    /**
     * Every block of the model by Hugging Face style module path, in depth-first order; the model
     * itself is {@code ""}. Computed on each call, so it shows replacements.
     *
     * @return an unmodifiable map from module path to block
     */
    public Map<String, Block> moduleTree() {
        return view.moduleTree();
    }

    /**
     * The view of the model that adapter methods work against.
     *
     * @return the bound model
     */
    @Override
    public BoundModel boundModel() {
        return view;
    }

    /**
     * Adds an adapter on the modules its config selects, wrapping them; it is not activated. Modules
     * named in the config's {@code modules_to_save} get the adapter's own trainable deep copy (PEFT's
     * {@code ModulesToSaveWrapper}): the original block is used while no adapter with a copy is active
     * or adapters are disabled, the active adapter's copy otherwise.
     *
     * @param name a new adapter name
     * @param config the config, such as a {@code LoRAConfig} or {@code IA3Config}
     * @throws IllegalArgumentException when the name exists, the config is invalid or selects no
     *     module, or a module to save cannot be copied; nothing is added then
     */
    @Override
    public void addAdapter(String name, AdapterConfig config) {
        Objects.requireNonNull(config, "config");
        try (ModelLock.Held held = lock.exclusive("addAdapter")) {
            inventory.add(name, config);
        }
    }

    /**
     * Removes an adapter and every trace of it: it is unmerged if merged, its copies of modules to
     * save are freed, wrappers left without adapters are replaced by the blocks they wrapped, and the
     * parameter count is back to before.
     *
     * @param name an adapter name
     */
    @Override
    public void deleteAdapter(String name) {
        try (ModelLock.Held held = lock.exclusive("deleteAdapter")) {
            inventory.require(name);
            inventory.delete(name);
            fusions.forgetAdapter(name);
        }
    }

    /**
     * The adapters, in the order they were added.
     *
     * @return adapter names
     */
    @Override
    public Set<String> adapters() {
        return inventory.configs().keySet();
    }

    /**
     * One adapter's config.
     *
     * @param name an adapter name
     * @return its config
     */
    @Override
    public AdapterConfig adapterConfig(String name) {
        return inventory.require(name);
    }

    /**
     * Sets the adapters forward applies, in order; none runs the base model. Several names are a
     * {@link Stack} of them, checked as {@link #setActiveAdapters(Composition)} checks it.
     *
     * @param names adapter names
     * @throws IllegalArgumentException for an unknown name, when more than one of them has
     *     {@code modules_to_save} (PEFT allows one at a time), or when their methods cannot stack them
     */
    public void setActiveAdapters(String... names) {
        try (ModelLock.Held held = lock.shared()) {
            for (String name : names) {
                inventory.require(name);
            }
            if (names.length > 1) {
                CompositionPlanner.plan(Stack.of(names), inventory::require);
            }
            inventory.checkActivation(List.of(names));
            inventory.activation().setActive(List.of(names));
        }
    }

    /**
     * Activates a composition of adapters, as the Adapters library's {@code set_active_adapters}:
     * {@link Stack}, {@link Parallel}, {@link BatchSplit}, {@link Average}, {@link Split} or
     * {@link Fuse}, nested as that library allows (and as {@code docs/methods/composition.md} says this
     * implementation runs). Every check runs here, before anything changes: on failure the previous
     * setup stays active.
     *
     * <pre>{@code
     * adapters.setActiveAdapters(Stack.of("lang", "task"));
     * adapters.setActiveAdapters(Parallel.of("a", "b"));
     * List<NDList> perBranch = adapters.forwardBranches(inputs);
     * }</pre>
     *
     * @param setup the setup
     * @throws IllegalArgumentException for an unknown adapter, a nesting the library forbids or this
     *     implementation does not run, or an adapter whose method cannot take part in a block (the
     *     message names the block and the adapter and its method)
     */
    public void setActiveAdapters(Composition setup) {
        Objects.requireNonNull(setup, "setup");
        try (ModelLock.Held held = lock.shared()) {
            CompositionPlan plan = CompositionPlanner.plan(setup, inventory::require);
            if (plan.choice().fusion() != null) {
                fusions.require(plan.choice().fusion());
            }
            inventory.checkActivation(plan.choice().names());
            inventory.activation().setChoice(plan.choice());
        }
    }

    /**
     * Adds an AdapterFusion layer over bottleneck adapters with the library's default
     * {@code "dynamic"} config (query, key and value; the value starting at the identity), as
     * {@code model.add_adapter_fusion(Fuse("a", "b"))}; it is activated by
     * {@code setActiveAdapters(fuse)} and trained by {@link #trainAdapterFusion}.
     *
     * @param fuse the adapters to fuse, in order
     * @throws IllegalArgumentException when an adapter is unknown or not a sequential bottleneck
     *     adapter, the adapters sit at different places, or the fusion exists
     */
    public void addAdapterFusion(Fuse fuse) {
        addAdapterFusion(fuse, AdapterFusionConfig.dynamic());
    }

    /**
     * Adds an AdapterFusion layer over bottleneck adapters at every place they sit.
     *
     * @param fuse the adapters to fuse, in order; the fusion's name is their names joined by commas
     * @param config the fusion config
     * @throws IllegalArgumentException as {@link #addAdapterFusion(Fuse)}
     */
    public void addAdapterFusion(Fuse fuse, AdapterFusionConfig config) {
        Objects.requireNonNull(config, "config");
        try (ModelLock.Held held = lock.exclusive("addAdapterFusion")) {
            fusions.add(fuse, config);
        }
    }

    /**
     * Removes an AdapterFusion layer; when its Fuse is active, the base model runs afterwards.
     *
     * @param fuse the fused adapters
     */
    public void deleteAdapterFusion(Fuse fuse) {
        try (ModelLock.Held held = lock.exclusive("deleteAdapterFusion")) {
            String name = CompositionPlanner.fusionName(fuse);
            fusions.delete(name);
            if (name.equals(inventory.activation().choice().fusion())) {
                inventory.activation().setActive(List.of());
            }
        }
    }

    /**
     * The AdapterFusion layers.
     *
     * @return fusion name (the adapters joined by commas) to its adapters
     */
    public Map<String, List<String>> adapterFusions() {
        Map<String, List<String>> all = new LinkedHashMap<>();
        fusions.all().forEach((name, fusion) -> all.put(name, fusion.adapters()));
        return all;
    }

    /**
     * Prepares training of an AdapterFusion layer, as the library's {@code train_adapter_fusion}:
     * freezes every parameter of the model (the fused adapters included), unfreezes the fusion's
     * query, key and value, and activates the Fuse.
     *
     * @param fuse the fused adapters
     * @return the fusion's trainable parameters, for the optimizer
     */
    public List<Parameter> trainAdapterFusion(Fuse fuse) {
        List<Parameter> trainable;
        try (ModelLock.Held held = lock.exclusive("trainAdapterFusion")) {
            trainable = fusions.parameters(CompositionPlanner.fusionName(fuse));
            model.freezeParameters(true);
            inventory.attachments().forEach(a -> a.adapterNames().forEach(n -> a.parameters(n).forEach(p -> p.freeze(true))));
            trainable.forEach(p -> p.freeze(false));
        }
        setActiveAdapters(fuse);
        return trainable;
    }

    /**
     * Saves an AdapterFusion layer in the Adapters library's layout: {@code adapter_fusion_config.json}
     * and {@code model_adapter_fusion.safetensors} (keys {@code <site>.adapter_fusion_layer.<name>.query.weight}, ...),
     * both moved into place together. The fused adapters are saved on their own ({@link #saveAdapter}).
     *
     * @param dir the folder, created when missing
     * @param fuse the fused adapters
     * @throws IOException when writing fails
     */
    public void saveAdapterFusion(Path dir, Fuse fuse) throws IOException {
        try (ModelLock.Held held = lock.shared()) {
            fusions.save(dir, CompositionPlanner.fusionName(fuse));
        }
    }

    /**
     * Loads an AdapterFusion layer saved by {@link #saveAdapterFusion} (or by the Adapters library
     * with safetensors weights) over adapters already in the model, named as in the file. All or
     * nothing: on any error no fusion is added.
     *
     * @param dir the folder
     * @return the Fuse block of the loaded fusion, to activate
     * @throws io.github.djladapters.runtime.safetensors.CheckpointException naming the file and key
     * @throws IOException when a file cannot be read
     */
    public Fuse loadAdapterFusion(Path dir) throws IOException {
        try (ModelLock.Held held = lock.exclusive("loadAdapterFusion")) {
            return fusions.load(dir);
        }
    }

    /**
     * The active setup as a composition block.
     *
     * @return the block given to {@link #setActiveAdapters(Composition)}, a {@link Stack} of the names
     *     given to {@link #setActiveAdapters(String...)}, or empty when none is active
     */
    public Optional<Composition> activeSetup() {
        AdapterActivation.Choice choice = inventory.activation().choice();
        if (choice.setup() instanceof Composition setup) {
            return Optional.of(setup);
        }
        return choice.names().isEmpty() ? Optional.empty()
                : Optional.of(Stack.of(choice.names().toArray(String[]::new)));
    }

    /**
     * The adapters forward applies.
     *
     * @return adapter names, in order
     */
    public List<String> activeAdapters() {
        return inventory.activation().active();
    }

    /**
     * Prepares training of one adapter: freezes every parameter of the model, unfreezes that
     * adapter's (its copies of modules to save included), and activates it alone.
     *
     * @param name an adapter name
     */
    public void trainAdapter(String name) {
        try (ModelLock.Held held = lock.exclusive("trainAdapter")) {
            inventory.require(name);
            model.freezeParameters(true);
            inventory.parameters(name).forEach(p -> p.freeze(false));
        }
        setActiveAdapters(name);
    }

    /**
     * Freezes or unfreezes one adapter's parameters, as PEFT's {@code is_trainable=False} loads an
     * adapter for inference. Frozen LoRA adapters let mixed (per-row) forwards keep their stacked
     * weights between calls instead of building them each time; {@link #trainAdapter} unfreezes.
     *
     * @param name an adapter name
     * @param freeze true to freeze
     */
    public void freezeAdapter(String name, boolean freeze) {
        try (ModelLock.Held held = lock.exclusive("freezeAdapter")) {
            inventory.require(name);
            inventory.parameters(name).forEach(p -> p.freeze(freeze));
        }
    }

    /**
     * Freezes or unfreezes every base parameter, leaving adapter parameters as they are.
     *
     * @param freeze true to freeze
     */
    public void freezeModel(boolean freeze) {
        Set<Parameter> adapterParameters = inventory.adapterParameters();
        for (Parameter parameter : model.getParameters().values()) {
            if (!adapterParameters.contains(parameter)) {
                parameter.freeze(freeze);
            }
        }
    }

    /**
     * Switches every adapter off until the scope closes: forward equals the base model's. Merged
     * adapters are unmerged for the scope and merged again after.
     *
     * @return the scope, for try-with-resources
     * @throws IllegalStateException when adapters are already disabled
     */
    public DisabledScope disableAdapters() {
        List<String> merged;
        try (ModelLock.Held held = lock.exclusive("disableAdapters")) {
            if (inventory.activation().disabled()) {
                throw new IllegalStateException("adapters are already disabled");
            }
            merged = new ArrayList<>(inventory.mergeOrder());
            inventory.unmergeAll();
            inventory.activation().setDisabled(true);
        }
        return () -> {
            try (ModelLock.Held held = lock.exclusive("closing a disableAdapters scope")) {
                inventory.activation().setDisabled(false);
                merged.forEach(inventory::merge);
            }
        };
    }

    /** A scope during which adapters are off; closing it switches them back on. */
    public interface DisabledScope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Merges adapters into the base weights (PEFT's {@code merge_adapter}, the adapters library's
     * {@code merge_adapter}). Each adapter's new weights are checked for NaN/Inf before any weight
     * changes. A merged adapter costs nothing at forward and cannot be mixed per row.
     *
     * @param names adapters to merge; none merges the active ones
     * @throws IllegalStateException when a merge would put NaN or Inf into a weight
     */
    public void mergeAdapter(String... names) {
        try (ModelLock.Held held = lock.exclusive("mergeAdapter")) {
            List<String> merging = names.length == 0 ? activeAdapters() : List.of(names);
            for (String name : merging) {
                if (!inventory.mergeOrder().contains(name) || names.length > 0) {
                    inventory.merge(name);
                }
            }
        }
    }

    /**
     * Takes one merged adapter back out of the base weights, restoring them within float
     * tolerance. Adapters merged after it must be unmerged first.
     *
     * @param name a merged adapter
     */
    public void unmergeAdapter(String name) {
        try (ModelLock.Held held = lock.exclusive("unmergeAdapter")) {
            inventory.require(name);
            inventory.unmerge(name);
        }
    }

    /** Takes every merged adapter back out, newest first (PEFT's {@code unmerge_adapter()}). */
    public void unmergeAdapter() {
        try (ModelLock.Held held = lock.exclusive("unmergeAdapter")) {
            inventory.unmergeAll();
        }
    }

    /** The adapters library's {@code reset_adapter()}: the same as {@link #unmergeAdapter()}. */
    public void resetAdapter() {
        unmergeAdapter();
    }

    /**
     * The adapters merged into the base weights.
     *
     * @return adapter names, in merge order
     */
    public List<String> mergedAdapters() {
        return inventory.mergeOrder();
    }

    /**
     * Merges the active adapters, then removes every wrapper and adapter: the plain base model with
     * merged weights (PEFT's {@code merge_and_unload}). A module to save becomes the active adapter's
     * trained copy, as a plain block; with no active adapter holding a copy, its original.
     *
     * @return the model, whose blocks are its own again
     * @throws IllegalStateException when adapters exist but none is active or merged (nothing would be
     *     merged, and every adapter would be dropped)
     */
    public M mergeAndUnload() {
        if (activeAdapters().isEmpty() && inventory.mergeOrder().isEmpty() && !adapters().isEmpty()) {
            throw new IllegalStateException("mergeAndUnload merges the active adapters, and none of " + adapters()
                    + " is active or merged: the result would be the base model; activate the adapters to merge"
                    + " (setActiveAdapters) or call unload() for the base model");
        }
        mergeAdapter();
        try (ModelLock.Held held = lock.exclusive("mergeAndUnload")) {
            inventory.unwrapAll(true);
        }
        return model;
    }

    /**
     * Unmerges everything, then removes every wrapper and adapter: the original base model (PEFT's
     * {@code unload}). Modules to save get their original blocks back (PEFT's {@code unload} keeps
     * the active adapter's copy; {@link #mergeAndUnload()} does that here).
     *
     * @return the model, with its original weights
     */
    public M unload() {
        try (ModelLock.Held held = lock.exclusive("unload")) {
            inventory.unmergeAll();
            inventory.unwrapAll(false);
        }
        return model;
    }

    /**
     * Every adapter wrapper now in the model, {@code modules_to_save} wrappers included.
     *
     * @return the wrappers, in the order they were placed
     */
    public List<AdapterLayer<?>> adapterLayers() {
        return inventory.layers();
    }

    /**
     * Every attachment now in the model, of every method: block wrappers ({@link #adapterLayers()})
     * and hooks on inputs or attention keys and values.
     *
     * @return the attachments, in the order they were placed
     */
    @Override
    public List<AdapterAttachment> attachments() {
        return inventory.attachments();
    }

    /**
     * Counts trainable and all parameters, adapters included; as in PEFT, the copies of modules to
     * save count in both, and their originals in all.
     *
     * @return the counts
     */
    public TrainableParameters trainableParameters() {
        return census.trainableParameters();
    }

    /**
     * PEFT's {@code print_trainable_parameters}: prints the line to standard output and returns it.
     *
     * @return for example {@code trainable params: 73,728 || all params: 22,639,104 || trainable%: 0.3257}
     */
    public String printTrainableParameters() {
        String line = trainableParameters().toString();
        System.out.println(line);
        return line;
    }

    /**
     * The adapters library's {@code adapter_summary()}; {@code toString()} gives its table. An
     * adapter's row counts its copies of modules to save; the full model counts their originals.
     *
     * @return one row per adapter and per AdapterFusion layer (architecture {@code fusion}), then the
     *     full model
     */
    public AdapterSummary adapterSummary() {
        return census.adapterSummary(activeAdapters());
    }

    /**
     * Runs the model for inference with the active adapters. Under a {@link Parallel} setup the batch
     * is replicated once per branch and the outputs come back concatenated along axis 0, branch after
     * branch, as the Adapters library returns them ({@link #forwardBranches} cuts them apart); under a
     * {@link BatchSplit} each part of the batch runs its own adapter.
     *
     * @param inputs the model's inputs
     * @return its outputs, owned by the inputs' manager
     * @throws IllegalArgumentException when a BatchSplit's batch sizes do not add up to the batch
     */
    public NDList forward(NDList inputs) {
        CompositionPlan routed = RowRouting.routedPlan(inventory);
        if (routed != null) {
            long batch = inputs.head().getShape().get(0);
            List<String> rows = routed.rowAdapters(batch);
            NDList modelInputs = routed.replicates() ? BatchCopies.replicate(inputs, routed.branches().size()) : inputs;
            try (RowAdapters scope = routeRows(rows, inputs.head().getManager())) {
                return forward(modelInputs);
            }
        }
        try (ModelLock.Held held = lock.shared()) {
            if (AdapterRouting.current().isEmpty() && !inventory.activation().disabled()) {
                for (String name : activeAdapters()) {
                    if (!inventory.configs().containsKey(name)) {
                        throw new IllegalStateException("adapter '" + name + "', active on this thread, was deleted"
                                + " (by another thread?); set the active adapters again");
                    }
                }
            }
            return model.forward(new ParameterStore(inputs.head().getManager(), false), inputs, false);
        }
    }

    /**
     * Runs the model for inference once per branch of the active {@link Parallel} setup, all branches
     * in one batch: the output of each branch equals running its adapter alone. Under any other setup
     * the one output of {@link #forward(NDList)}.
     *
     * @param inputs the model's inputs
     * @return one output list per branch, in branch order, owned by the inputs' manager
     */
    public List<NDList> forwardBranches(NDList inputs) {
        CompositionPlan routed = RowRouting.routedPlan(inventory);
        NDList outputs = forward(inputs);
        if (routed == null || !routed.replicates()) {
            return List.of(outputs);
        }
        return BatchCopies.cut(outputs, routed.branches().size(), inputs.head().getShape().get(0));
    }

    /**
     * Runs the model for inference with one adapter per row of the batch: the base runs once and
     * each adapter's contribution reaches its rows only (LoRA gathers each row's own A and B and
     * applies them in one batched product; other methods multiply by a 0/1 row mask); a module to
     * save gives each row the output of its adapter's copy (or of the original). The output of each
     * row equals running it alone with its adapter. Active adapters are ignored.
     *
     * @param inputs the model's inputs; the first one's axis 0 is the batch
     * @param rowAdapters one adapter name per row; {@code ""} or {@link #BASE_MODEL} for the base model
     * @return the outputs, owned by the inputs' manager
     * @throws IllegalArgumentException when the count differs from the batch or a name is unknown
     * @throws IllegalStateException when an adapter is merged (its weights would reach every row)
     */
    public NDList forward(NDList inputs, List<String> rowAdapters) {
        long batch = inputs.head().getShape().get(0);
        if (rowAdapters.size() != batch) {
            throw new IllegalArgumentException("got " + rowAdapters.size() + " row adapter names for a batch of "
                    + batch);
        }
        try (RowAdapters routed = routeRows(rowAdapters, inputs.head().getManager())) {
            return forward(inputs);
        }
    }

    /**
     * Routes each row of every batch run on this thread to its own adapter until the returned scope
     * closes: what {@link #forward(NDList, List)} does for one call, for loops that run the model many
     * times on the same rows, such as generation with a key/value cache. Active adapters are ignored
     * inside the scope.
     *
     * <pre>{@code
     * try (AdapterModel.RowAdapters rows = adapters.routeRows(List.of("", "poet", "coder"), manager)) {
     *     List<int[]> out = new Generator(model).generate(manager, prompts, GenerationConfig.greedy(16));
     * }
     * }</pre>
     *
     * @param rowAdapters one adapter name per row; {@code ""} or {@link #BASE_MODEL} for the base model
     * @param manager owns the row masks until the scope closes
     * @return the scope; every batch run inside it must have {@code rowAdapters.size()} rows
     * @throws IllegalArgumentException when a name is unknown
     * @throws IllegalStateException when an adapter is merged (its weights would reach every row), or
     *     this thread is already routed
     */
    public RowAdapters routeRows(List<String> rowAdapters, NDManager manager) {
        ModelLock.Held held = lock.shared(); // until the scope closes: no adapter changes under the rows
        try {
            return RowRouting.open(rowAdapters, BASE_MODEL, manager, inventory, held);
        } catch (RuntimeException | Error e) {
            held.close();
            throw e;
        }
    }

    /**
     * Builds a per-row routing once, to put in force for many forwards with {@link #routeRows(PreparedRows)}:
     * for a loop whose rows stay the same over many calls (the decoding steps of a batch between rows
     * joining and leaving), the row masks are built once and each layer keeps what it derives from the
     * rows (a LoRA layer gathers each row's weights once, up to {@code keptBytes} in all) until the rows
     * are closed. Unlike {@link #routeRows(List, NDManager)} it holds no lock between forwards: adapters
     * may change in between, and each forward checks that the rows' adapters are still there.
     *
     * <pre>{@code
     * try (PreparedRows rows = adapters.prepareRows(List.of("poet", "", "coder"), manager, RowArrayCache.DEFAULT_BUDGET_BYTES)) {
     *     for (int step = 0; step < 16; step++) {
     *         try (AdapterModel.RowAdapters routed = adapters.routeRows(rows)) { ... one decoding step ... }
     *     }
     * }
     * }</pre>
     *
     * @param rowAdapters one adapter name per row; {@code ""} or {@link #BASE_MODEL} for the base model
     * @param manager owns the row masks and kept arrays until the rows are closed
     * @param keptBytes the most bytes layers keep across forwards for these rows; 0 keeps nothing (each
     *     forward gathers for itself, as {@link #routeRows(List, NDManager)} does)
     * @return the rows; close them when the loop's rows change
     * @throws IllegalArgumentException when a name is unknown
     * @throws IllegalStateException when an adapter is merged
     */
    public PreparedRows prepareRows(List<String> rowAdapters, NDManager manager, long keptBytes) {
        try (ModelLock.Held held = lock.shared()) {
            return RowRouting.prepare(rowAdapters, BASE_MODEL, manager, inventory, keptBytes);
        }
    }

    /**
     * Puts prepared rows in force on this thread until the returned scope closes, holding the model's
     * shared lock meanwhile (as {@link #routeRows(List, NDManager)} does); closing the scope leaves the
     * rows open for the next forward.
     *
     * @param rows rows this model prepared
     * @return the scope; every batch run inside it must have {@code rows.rowAdapters().size()} rows
     * @throws IllegalArgumentException when the rows name an adapter deleted since they were prepared,
     *     or another model prepared them
     * @throws IllegalStateException when an adapter is merged, or this thread is already routed
     */
    public RowAdapters routeRows(PreparedRows rows) {
        ModelLock.Held held = lock.shared();
        try {
            return RowRouting.open(rows, inventory, held, false);
        } catch (RuntimeException | Error e) {
            held.close();
            throw e;
        }
    }

    /** A per-row adapter routing in force on this thread until closed; see {@link #routeRows}. */
    public interface RowAdapters extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * One adapter's tensors under PEFT's file keys, {@code base_model.model.<module path>.lora_A.weight}
     * and so on, adapter name removed; what {@code adapter_model.safetensors} holds. Copies of modules
     * to save come under {@code base_model.model.<module path>.<parameter>}, such as
     * {@code base_model.model.classifier.weight}, as current PEFT writes them.
     *
     * @param name an adapter name
     * @param manager receives copies of the tensors
     * @return key to tensor, in module order
     */
    @Override
    public Map<String, NDArray> adapterTensors(String name, NDManager manager) {
        inventory.require(name);
        return AdapterTensors.export(inventory.attachments(), name, manager);
    }

    /**
     * Sets one adapter's tensors from PEFT's file keys, after checking that no key is missing or
     * unexpected and every shape fits; nothing changes when a check fails.
     *
     * @param name an adapter name
     * @param tensors key to tensor, as {@link #adapterTensors} gives
     * @throws IllegalArgumentException naming the missing, unexpected or mis-shaped keys
     * @throws IllegalStateException when the adapter is merged
     */
    @Override
    public void loadAdapterTensors(String name, Map<String, NDArray> tensors) {
        try (ModelLock.Held held = lock.exclusive("loadAdapterTensors")) {
            inventory.require(name);
            if (inventory.mergeOrder().contains(name)) {
                throw new IllegalStateException("adapter '" + name + "' is merged; unmerge it before setting its"
                        + " tensors");
            }
            AdapterTensors.load(inventory.attachments(), name, tensors);
        }
    }

    /**
     * Sets the base model's name, written as {@code base_model_name_or_path} by {@link #saveAdapter}
     * (PEFT reads it to find the base model).
     *
     * @param name a Hugging Face model id or a path, such as {@code sentence-transformers/all-MiniLM-L6-v2};
     *     null for none (the default)
     * @return this
     */
    public AdapterModel<M> baseModelNameOrPath(String name) {
        this.baseModelNameOrPath = name;
        return this;
    }

    /**
     * The base model's name written into saved adapter configs.
     *
     * @return the name, or null when none was set
     */
    @Override
    public String baseModelNameOrPath() {
        return baseModelNameOrPath;
    }

    /**
     * Saves adapters in PEFT's layout, readable by Python's {@code PeftModel.from_pretrained}:
     * {@code adapter_config.json} (PEFT's keys only; role-based targets written as an explicit
     * {@code target_modules}), {@code adapter_model.safetensors} and a {@code README.md} model card.
     * The adapter named {@code default} goes to {@code dir}, others to {@code dir/<name>/}. Each file is
     * written under a temporary name and then moved into place, so a failed save leaves earlier files
     * as they were; saving twice gives identical bytes.
     *
     * <pre>{@code
     * peft.baseModelNameOrPath("sentence-transformers/all-MiniLM-L6-v2").saveAdapter(Path.of("out"));
     * }</pre>
     *
     * @param dir the folder
     * @param names the adapters to save; none saves all
     * @throws IOException when writing fails
     * @throws IllegalArgumentException for an unknown adapter name
     */
    public void saveAdapter(Path dir, String... names) throws IOException {
        PeftAdapterFiles.save(this, dir, names);
    }

    /**
     * Saves one adapter into {@code folder} itself, whatever its name, in the layout of one PEFT
     * adapter folder ({@code adapter_config.json}, {@code adapter_model.safetensors}, {@code README.md});
     * {@link #loadAdapter(Path, String)} reads it back. Atomic as {@link #saveAdapter}.
     *
     * @param name the adapter
     * @param folder the folder, created when missing
     * @throws IOException when writing fails
     * @throws IllegalArgumentException for an unknown adapter name
     */
    public void saveAdapterFolder(String name, Path folder) throws IOException {
        PeftAdapterFiles.saveFolder(this, name, folder);
    }

    /**
     * Loads an adapter saved by PEFT, by {@link #saveAdapter} or by the adapters library (its
     * {@code adapter_config.json} layout with safetensors weights) and adds it, not active. Unknown
     * config keys are ignored with a warning. All or nothing: on any error the adapter is not added.
     *
     * @param dir the adapter's folder
     * @param name the name to add it under
     * @throws io.github.djladapters.runtime.safetensors.CheckpointException naming the file and key
     *     when a file is missing or malformed or its tensors do not fit (missing, unexpected, shape)
     * @throws IOException when a file cannot be read
     */
    public void loadAdapter(Path dir, String name) throws IOException {
        try (ModelLock.Held held = lock.exclusive("loadAdapter")) { // add and fill as one change
            PeftAdapterFiles.load(this, dir, name);
        }
    }

    /**
     * Loads an adapter from a folder under the name {@code default}, as PEFT does.
     *
     * @param dir the adapter's folder
     * @throws IOException as {@link #loadAdapter(Path, String)}
     */
    public void loadAdapter(Path dir) throws IOException {
        loadAdapter(dir, PeftAdapterFiles.DEFAULT_ADAPTER);
    }
}
