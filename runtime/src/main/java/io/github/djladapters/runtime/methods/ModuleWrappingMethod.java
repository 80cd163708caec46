package io.github.djladapters.runtime.methods;

import java.util.ArrayList;
import java.util.List;

/**
 * A method whose config selects modules by name or role ({@link TargetingConfig}, as PEFT's LoRA and
 * IA3 do) and that puts one adapter on each selected module. Implementations write only
 * {@link #attachAt}, the adapter on one module.
 *
 * @param <C> the config record
 */
public interface ModuleWrappingMethod<C extends TargetingConfig> extends MethodProvider<C> {

    /** The modules {@link TargetResolver} finds for the config's selection. */
    @Override
    default List<TargetModule> targets(C config, BoundModel model) {
        return TargetResolver.resolve(model, config.targetSelection());
    }

    /** Puts the adapter on every target, in module order. */
    @Override
    default List<AdapterAttachment> attach(String name, C config, BoundModel model, AdapterActivation activation) {
        List<AdapterAttachment> attached = new ArrayList<>();
        for (TargetModule target : targets(config, model)) {
            attached.add(attachAt(name, config, model, target, activation));
        }
        return attached;
    }

    /**
     * Adds one adapter at one target: extends the method's wrapper already there or places a new one
     * (usually through {@link AdapterLayer#at}).
     *
     * @param name the adapter name
     * @param config the validated config
     * @param model the bound model
     * @param target the module
     * @param activation the model's shared activation state, for a new wrapper
     * @return the attachment now holding the adapter at that module
     */
    AdapterAttachment attachAt(String name, C config, BoundModel model, TargetModule target,
            AdapterActivation activation);
}
