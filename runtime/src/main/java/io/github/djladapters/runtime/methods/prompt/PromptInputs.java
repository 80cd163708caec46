package io.github.djladapters.runtime.methods.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.architecture.InputExtendingModel;
import io.github.djladapters.runtime.architecture.InputExtension;
import io.github.djladapters.runtime.architecture.ModelInputs;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.AdapterHook;
import io.github.djladapters.runtime.methods.AdapterUse;
import io.github.djladapters.runtime.methods.virtualtokens.PromptEmbeddingsKey;
import io.github.djladapters.runtime.methods.virtualtokens.VirtualTokenRows;
import java.util.List;
import java.util.Map;

/**
 * Prompt tuning and P-tuning on a model's inputs: every applied adapter's virtual-token embeddings
 * go before the word embeddings, as PEFT's {@code cat((prompts, inputs_embeds), dim=1)}, and the
 * rest grows to match: the attention mask gets ones for them, token type ids zeros, and position ids
 * count the virtual tokens first ({@code 0..n-1}) and the real tokens after them ({@code n + p}).
 * Positions every row shares ({@code [seq]}, BERT's) stay one row: nothing per row is built or looked
 * up unless a batch is routed.
 * Outputs keep the virtual positions first, as PEFT's do.
 *
 * <p>With the generation cache, the virtual tokens are embedded in the first step only: a later step
 * (its mask longer than its new tokens) gets the mask and positions extended, not the embeddings.
 * In a batch routed per row, a row's virtual tokens of adapters it does not use are masked out and
 * do not count in its positions, so such a row computes what it would alone.
 */
final class PromptInputs extends AdapterHook<VirtualTokenWeights> implements InputExtension {

    private final InputExtendingModel model;

    PromptInputs(InputExtendingModel model, AdapterActivation activation) {
        super("", activation);
        this.model = model;
    }

    @Override
    protected void installHook() {
        InputExtension current = model.inputExtension().orElse(null);
        if (current != null && current != this) {
            throw new IllegalStateException("the model's inputs are already extended by "
                    + current.getClass().getSimpleName() + "; prompt tuning takes them alone");
        }
        model.setInputExtension(this);
    }

    @Override
    protected void uninstallHook() {
        if (model.inputExtension().orElse(null) == this) {
            model.setInputExtension(null);
        }
    }

    /** The suffix of the one tensor PEFT saves. */
    static final String PROMPT_EMBEDDINGS = PromptEmbeddingsKey.SUFFIX;

    /** Checks what prompt tuning and P-tuning share; the submodules are checked against the model when attached. */
    static void checkCommon(int virtualTokens, Integer submodules, String method) {
        if (virtualTokens < 1) {
            throw new IllegalArgumentException(method + " num_virtual_tokens must be at least 1, got " + virtualTokens);
        }
        if (submodules != null && submodules != 1 && submodules != 2) {
            throw new IllegalArgumentException(method + " num_transformer_submodules must be 1 or 2, got " + submodules);
        }
    }

    @Override
    public Map<String, NDArray> exportTensors(String name, NDManager manager) {
        VirtualTokenWeights weights = adapter(name);
        if (weights == null) {
            return Map.of();
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray prompts = weights.prompts(scope).duplicate();
            prompts.attach(manager);
            return Map.of(PROMPT_EMBEDDINGS, prompts);
        }
    }

    @Override
    public Map<String, Shape> tensorShapes(String name) {
        VirtualTokenWeights weights = adapter(name);
        return weights == null ? Map.of() : Map.of(PROMPT_EMBEDDINGS, weights.savedShape());
    }

    /**
     * Sets an adapter's prompts; an encoder (P-tuning) gives way to a table of them, as PEFT loads
     * its saved encoder output.
     */
    @Override
    public void importTensor(String name, String suffix, NDArray value) {
        VirtualTokenWeights weights = adapter(name);
        if (weights == null || !PROMPT_EMBEDDINGS.equals(suffix)) {
            throw new IllegalArgumentException("no tensor '" + suffix + "' for adapter '" + name + "' here");
        }
        if (weights instanceof PromptTable table) {
            table.embedding().getArray().set(value.toType(table.embedding().getArray().getDataType(), false)
                    .toFloatArray());
            return;
        }
        NDManager manager = weights.getParameters().valueAt(0).getArray().getManager();
        NDArray copy = manager.create(value.toFloatArray(), value.getShape());
        int submodules = weights.submodules();
        removeAdapter(name);
        putAdapter(name, new PromptTable(copy).submodules(submodules));
    }

    @Override
    public ModelInputs extend(ModelInputs inputs) {
        List<AdapterUse<VirtualTokenWeights>> uses = uses();
        if (uses.isEmpty()) {
            return inputs;
        }
        NDArray embeddings = inputs.embeddings();
        NDManager manager = embeddings.getManager();
        Shape shape = embeddings.getShape();
        long batch = shape.get(0);
        long seq = shape.get(1);
        // every row sees every virtual token unless a batch is routed per row
        boolean shared = uses.stream().noneMatch(AdapterUse::routed);
        VirtualTokenRows rows = shared ? null : VirtualTokenRows.of(uses.stream()
                .map(u -> new VirtualTokenRows.Segment(u.adapter().virtualTokens(), u.rowMask())).toList(), batch, manager);
        long virtual = uses.stream().mapToLong(u -> u.adapter().virtualTokens()).sum();
        NDArray mask = inputs.attentionMask();
        // a cached generation step: the virtual tokens are already in the cache, only mask and positions grow
        boolean cachedStep = mask != null && mask.getShape().get(1) > seq;
        NDArray newEmbeddings = embeddings;
        NDArray tokenTypes = inputs.tokenTypeIds();
        if (!cachedStep) {
            NDList parts = new NDList();
            for (AdapterUse<VirtualTokenWeights> use : uses) {
                NDArray prompts = use.adapter().inputPrompts(manager).toType(embeddings.getDataType(), false);
                parts.add(prompts.expandDims(0).broadcast(new Shape(batch, prompts.getShape().get(0), shape.get(2))));
            }
            parts.add(embeddings);
            newEmbeddings = NDArrays.concat(parts, 1);
            if (tokenTypes != null) {
                tokenTypes = manager.zeros(new Shape(batch, virtual), tokenTypes.getDataType()).concat(tokenTypes, 1);
            }
        }
        NDArray realMask = mask != null ? mask : manager.ones(new Shape(batch, seq), DataType.INT64);
        NDArray newMask = (shared ? manager.ones(new Shape(batch, virtual), realMask.getDataType())
                : rows.mask(realMask.getDataType())).concat(realMask, 1);
        NDArray positions = inputs.positionIds();
        if (positions != null && shared && positions.getShape().dimension() == 1) {
            // positions every row shares (BERT's 0..T-1): one row of them, the virtual tokens counted
            // first, as PEFT's model counts 0..n+T-1 over the extended sequence
            NDArray shifted = positions.add(virtual);
            positions = cachedStep ? shifted : manager.arange(0L, virtual, 1L, positions.getDataType())
                    .add(positions.get("0:1")).concat(shifted, 0);
        } else if (positions != null) {
            if (positions.getShape().dimension() == 1) {
                positions = positions.expandDims(0).broadcast(new Shape(batch, positions.getShape().get(0)));
            }
            if (rows == null) {
                rows = VirtualTokenRows.of(uses.stream()
                        .map(u -> new VirtualTokenRows.Segment(u.adapter().virtualTokens(), null)).toList(), batch,
                        manager);
            }
            NDArray shiftedRows = positions.add(rows.shift(positions.getDataType()));
            positions = cachedStep ? shiftedRows
                    : rows.positions(VirtualTokenRows.firstPosition(positions, realMask)).concat(shiftedRows, 1);
        }
        return new ModelInputs(newEmbeddings, newMask, positions, tokenTypes);
    }
}
