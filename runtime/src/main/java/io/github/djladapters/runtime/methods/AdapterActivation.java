package io.github.djladapters.runtime.methods;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which adapters a model's forward applies, shared by every {@link AdapterLayer} of one model so
 * that switching is one write. A model-wide choice, as in PEFT, seen by every thread that has not
 * made its own; a thread that sets the active adapters keeps its own choice for its own forwards,
 * so threads that each set adapters then run forward never get each other's. Per-row choices go
 * through {@link AdapterRouting}.
 */
public final class AdapterActivation {

    /**
     * One choice of active adapters.
     *
     * @param names the adapters applied, in order
     * @param shares the part of the output each adapter contributes to, for adapters under an
     *     {@code Average} or {@code Split}; adapters not named contribute to all of it
     * @param needsRouting whether the choice gives branches their own rows ({@code Parallel},
     *     {@code BatchSplit}), which only a routed forward can run
     * @param setup what the choice was made from, for messages and the facade: a composition block,
     *     or the list of names
     * @param fusion the AdapterFusion layer that combines {@code names} at each site ({@link FusionSite}),
     *     or null
     */
    public record Choice(List<String> names, Map<String, OutputShare> shares, boolean needsRouting, Object setup,
            String fusion) {

        /** Copies the collections. */
        public Choice {
            names = List.copyOf(names);
            shares = Map.copyOf(shares);
        }

        /**
         * A plain choice: every adapter on all of the output, in order.
         *
         * @param names adapter names
         * @return the choice
         */
        public static Choice of(List<String> names) {
            List<String> copy = List.copyOf(names);
            return new Choice(copy, Map.of(), false, copy, null);
        }

        Choice without(String name) {
            if (!names.contains(name)) {
                return this;
            }
            Map<String, OutputShare> left = new LinkedHashMap<>(shares);
            left.remove(name);
            List<String> rest = names.stream().filter(n -> !n.equals(name)).toList();
            // a composition that loses an adapter no longer means what it said: keep the rest as a plain list
            return new Choice(rest, left, false, rest, null);
        }
    }

    private static final Choice NONE = Choice.of(List.of());

    private volatile Choice active = NONE;
    private final ThreadLocal<Choice> chosenHere = new ThreadLocal<>();
    private volatile boolean disabled;

    /**
     * The adapters applied by forwards on this thread, in order.
     *
     * @return this thread's own choice when it made one, else the model-wide one; unmodifiable
     */
    public List<String> active() {
        return choice().names();
    }

    /**
     * The whole choice applied by forwards on this thread.
     *
     * @return this thread's own choice when it made one, else the model-wide one
     */
    public Choice choice() {
        Choice own = chosenHere.get();
        return own != null ? own : active;
    }

    /**
     * Sets the adapters applied, model-wide and for this thread.
     *
     * @param names adapter names, in the order their deltas are added
     */
    public void setActive(List<String> names) {
        setChoice(Choice.of(names));
    }

    /**
     * Sets a whole choice, model-wide and for this thread.
     *
     * @param choice the choice
     */
    public void setChoice(Choice choice) {
        this.active = choice;
        chosenHere.set(choice);
    }

    /**
     * Removes a deleted adapter from the model-wide choice and this thread's; other threads that
     * chose it find out at their next forward.
     *
     * @param name the adapter
     */
    public void forget(String name) {
        active = active.without(name);
        Choice own = chosenHere.get();
        if (own != null) {
            chosenHere.set(own.without(name));
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
