package io.github.djladapters.runtime.methods;

import java.util.List;

/**
 * Which adapters a model's forward applies, shared by every {@link AdapterLayer} of one model so
 * that switching is one write. Model-wide, as in PEFT: a change is seen by forwards on every
 * thread. Per-request choices go through {@link AdapterRouting} instead.
 */
public final class AdapterActivation {

    private volatile List<String> active = List.of();
    private volatile boolean disabled;

    /**
     * The adapters applied, in order.
     *
     * @return an unmodifiable list
     */
    public List<String> active() {
        return active;
    }

    /**
     * Sets the adapters applied.
     *
     * @param names adapter names, in the order their deltas are added
     */
    public void setActive(List<String> names) {
        this.active = List.copyOf(names);
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
