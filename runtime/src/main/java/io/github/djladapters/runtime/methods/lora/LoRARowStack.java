package io.github.djladapters.runtime.methods.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.engine.Scalars;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-row weights of the LoRA adapters at one layer, built once and reused by every mixed
 * forward that runs with the same adapters at the same versions: slot {@code i + 1} holds adapter
 * {@code i}'s {@code A^T} ({@code [in, R]}) and {@code s B^T} ({@code [R, out]}, untargeted fused
 * slices zeroed), ranks padded to the largest {@code R} with zeros; slot 0 is zeros, for rows on the
 * base model. A forward gathers each row's slot with one index instead of transposing, scaling and
 * stacking every adapter again. The arrays belong to a manager of their own, freed by {@link #close}.
 */
final class LoRARowStack implements AutoCloseable {

    private final List<LoRAWeights> adapters;
    private final int[] versions;
    private final Device device;
    private final NDManager manager;
    private final NDArray downs;
    private final NDArray ups;

    private LoRARowStack(List<LoRAWeights> adapters, Device device, NDManager manager, NDArray downs, NDArray ups) {
        this.adapters = List.copyOf(adapters);
        this.versions = adapters.stream().mapToInt(LoRAWeights::version).toArray();
        this.device = device;
        this.manager = manager;
        this.downs = downs;
        this.ups = ups;
    }

    /**
     * Stacks the weights of some adapters.
     *
     * @param adapters the adapters, in slot order (slot {@code i + 1} for adapter {@code i})
     * @param in the layer's input features
     * @param out its output features
     * @param device where the forward runs
     * @return the stack, in a sub-manager of the first adapter's parameter manager
     */
    static LoRARowStack build(List<LoRAWeights> adapters, long in, long out, Device device) {
        NDArray first = adapters.get(0).loraA().getArray();
        DataType type = first.getDataType();
        int rank = adapters.stream().mapToInt(LoRAWeights::rank).max().orElseThrow();
        NDManager manager = first.getManager().newSubManager(device);
        try (NDManager scratch = manager.newSubManager()) {
            List<NDArray> downs = new ArrayList<>();
            List<NDArray> ups = new ArrayList<>();
            downs.add(scratch.zeros(new Shape(in, rank), type, device));
            ups.add(scratch.zeros(new Shape(rank, out), type, device));
            for (LoRAWeights w : adapters) {
                NDArray down = copy(w.loraA().getArray(), scratch, device).transpose(); // [in, r]
                NDArray up = w.effectiveB(Scalars.mul(copy(w.loraB().getArray(), scratch, device), w.scaling(), scratch))
                        .transpose(); // [r, out]
                if (w.rank() < rank) {
                    down = down.concat(scratch.zeros(new Shape(in, rank - w.rank()), type, device), 1);
                    up = up.concat(scratch.zeros(new Shape(rank - w.rank(), out), type, device), 0);
                }
                downs.add(down);
                ups.add(up);
            }
            NDArray stackedDowns = NDArrays.stack(new NDList(downs)); // [n + 1, in, R]
            NDArray stackedUps = NDArrays.stack(new NDList(ups)); // [n + 1, R, out]
            stackedDowns.attach(manager);
            stackedUps.attach(manager);
            return new LoRARowStack(adapters, device, manager, stackedDowns, stackedUps);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The size of a stack: {@code adapters + 1} slots of {@code [in, rank]} and {@code [rank, out]}.
     *
     * @param adapters the adapters stacked (0: no stack is built)
     * @param rank the largest rank among them
     * @param in the layer's input features
     * @param out its output features
     * @param typeBytes bytes per element
     * @return bytes
     */
    static long bytes(int adapters, int rank, long in, long out, int typeBytes) {
        return adapters == 0 ? 0 : (adapters + 1L) * rank * (in + out) * typeBytes;
    }

    /**
     * The bytes this stack holds.
     *
     * @return bytes of the stacked down and up projections
     */
    long bytes() {
        return downs.size() * downs.getDataType().getNumOfBytes() + ups.size() * ups.getDataType().getNumOfBytes();
    }

    /** A copy of a parameter's array owned by {@code scratch} (the copy joins the parameter's manager first). */
    private static NDArray copy(NDArray parameter, NDManager scratch, Device device) {
        NDArray copy = parameter.toDevice(device, true);
        copy.attach(scratch);
        return copy;
    }

    /**
     * Whether this stack holds exactly these adapters, in this order, at their current versions.
     *
     * @param wanted the adapters a forward would stack
     * @param on the forward's device
     * @return true when the stack can be reused as it is
     */
    boolean holds(List<LoRAWeights> wanted, Device on) {
        if (!device.equals(on) || wanted.size() != adapters.size()) {
            return false;
        }
        for (int i = 0; i < wanted.size(); i++) {
            if (wanted.get(i) != adapters.get(i) || wanted.get(i).version() != versions[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The slot of an adapter.
     *
     * @param w the adapter's weights at this layer
     * @return its slot, from 1; 0 when it has none (the slot of the base model)
     */
    int slot(LoRAWeights w) {
        for (int i = 0; i < adapters.size(); i++) {
            if (adapters.get(i) == w) {
                return i + 1;
            }
        }
        return 0;
    }

    /**
     * Each row's down and up projection.
     *
     * @param rowSlots {@code [batch]} int64 slots
     * @param caller receives the gathered arrays
     * @return {@code [batch, in, R]} and {@code [batch, R, out]}, copies owned by {@code caller}
     */
    NDList gather(NDArray rowSlots, NDManager caller) {
        NDArray rowsDown = downs.get(new NDIndex("{}", rowSlots));
        rowsDown.attach(caller);
        NDArray rowsUp = ups.get(new NDIndex("{}", rowSlots));
        rowsUp.attach(caller);
        return new NDList(rowsDown, rowsUp);
    }

    /** The stacked down projections, {@code [slots, in, R]}; valid until {@link #close}. */
    NDArray downs() {
        return downs;
    }

    /** The stacked up projections, {@code [slots, R, out]}; valid until {@link #close}. */
    NDArray ups() {
        return ups;
    }

    /** Frees the stacked arrays. */
    @Override
    public void close() {
        manager.close();
    }
}
