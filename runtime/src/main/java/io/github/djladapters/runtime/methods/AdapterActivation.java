package io.github.djladapters.runtime.methods;

import java.util.List;

/**
 * Which adapters a model's forward applies, shared by every {@link AdapterLayer} of one model so
 * that switching is one write. A model-wide choice, as in PEFT, seen by every thread that has not
 * made its own; a thread that sets the active adapters keeps its own choice for its own forwards,
 * so threads that each set adapters then run forward never get each other's. Per-row choices go
 * through {@link AdapterRouting}.
 */
public final class AdapterActivation {

    private volatile List<String> active = List.of();
    private final ThreadLocal<List<String>> chosenHere = new ThreadLocal<>();
    private volatile boolean disabled;

    /**
     * The adapters applied by forwards on this thread, in order.
     *
     * @return this thread's own choice when it made one, else the model-wide one; unmodifiable
     */
    public List<String> active() {
        List<String> own = chosenHere.get();
        return own != null ? own : active;
    }

    /**
     * Sets the adapters applied, model-wide and for this thread.
     *
     * @param names adapter names, in the order their deltas are added
     */
    public void setActive(List<String> names) {
        List<String> copy = List.copyOf(names);
        this.active = copy;
        chosenHere.set(copy);
    }

    /**
     * Removes a deleted adapter from the model-wide choice and this thread's; other threads that
     * chose it find out at their next forward.
     *
     * @param name the adapter
     */
    public void forget(String name) {
        if (active.contains(name)) {
            active = active.stream().filter(n -> !n.equals(name)).toList();
        }
        List<String> own = chosenHere.get();
        if (own != null && own.contains(name)) {
            chosenHere.set(own.stream().filter(n -> !n.equals(name)).toList());
        }
    }

    /**
     * Whether every adapter is switched off, so that forward equals the base model.
     *
     * @return true inside a {@code disableAdapters()} scope
     */
    public boolean disabled() {
        return disabled;
    }

    /**
     * Switches every adapter off or back on.
     *
     * @param disabled true to run the base model alone
     */
    public void setDisabled(boolean disabled) {
        this.disabled = disabled;
    }
}
