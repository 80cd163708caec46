package io.github.djladapters.runtime.methods;

import io.github.djladapters.annotations.AdapterMethod;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;

/**
 * One adapter method: its config, how it attaches an adapter to a model, and what it brings to
 * files and the command line. Methods are found with {@link java.util.ServiceLoader} (a plugin jar
 * lists its class in {@code META-INF/services/io.github.djladapters.runtime.methods.MethodProvider})
 * or registered with {@link MethodRegistry#register}. See {@code docs/methods/writing-a-method.md}.
 *
 * @param <C> the method's config record
 */
public interface MethodProvider<C extends AdapterConfig> {

    /**
     * The config record this method applies; {@link MethodRegistry#forConfig} picks the method by it.
     *
     * @return the config class
     */
    Class<C> configType();

    /**
     * The method's name, as the summary and messages show it.
     *
     * @return for example {@code lora}
     */
    String name();

    /**
     * The family of the DSL a model must declare (in {@code @AdaptableModel(methods = ...)}) to take
     * this method; the sites the family needs are {@link AdapterMethod#requiredRoles()}.
     *
     * @return for example {@link AdapterMethod#LORA} for LoRA and IA3
     */
    AdapterMethod family();

    /**
     * Checks a config before anything changes.
     *
     * @param config the config
     * @throws IllegalArgumentException naming the field when a value is not supported
     */
    void validate(C config);

    /**
     * Adds one adapter to the model: creates or extends the attachments its config selects. New
     * attachments are returned not yet installed; the caller installs them, keeps them, and on
     * failure takes the adapter back out of every attachment it reached.
     *
     * @param name the adapter name
     * @param config the validated config
     * @param model the bound model; existing attachments are found there (the wrapper now at a
     *     module, the extension now on a hook point)
     * @param activation the model's shared activation state, for new attachments
     * @return every attachment that now holds the adapter
     * @throws IllegalArgumentException when the config selects nothing or a place cannot take it
     */
    List<AdapterAttachment> attach(String name, C config, BoundModel model, AdapterActivation activation);

    /**
     * How PEFT's {@code adapter_config.json} names this method, when PEFT has it.
     *
     * @return the PEFT format, or empty
     */
    default Optional<PeftFormat<C>> peftFormat() {
        return Optional.empty();
    }

    /**
     * How the Adapters library's saved folder names this method, when that library has it.
     *
     * @return the format, or empty
     */
    default Optional<AdaptersLibraryFormat<C>> adaptersLibraryFormat() {
        return Optional.empty();
    }

    /**
     * The values of {@code djl-adapters train --method} this method answers and how their flags become
     * a config.
     *
     * @return the command-line side, or empty when the method is not offered there
     */
    default Optional<MethodCommandLine> commandLine() {
        return Optional.empty();
    }

    /**
     * The modules a config selects, without attaching anything; used to write an explicit
     * {@code target_modules} for methods that have one.
     *
     * @param config the config
     * @param model the bound model
     * @return the targets; empty for methods that do not target modules by name
     */
    default List<TargetModule> targets(C config, BoundModel model) {
        return List.of();
    }

    /**
     * The composition blocks that can combine several adapters of this method (see
     * {@code docs/methods/composition.md}). A block with a single adapter of the method always works,
     * as its plain activation. {@link CompositionKind#PARALLEL} and {@link CompositionKind#BATCH_SPLIT}
     * need per-row routing ({@link AdapterUse#routed()} rows); {@link CompositionKind#AVERAGE} and
     * {@link CompositionKind#SPLIT} need a contribution that is added to the output and passes
     * through {@link AdapterUse#onRows} (the sum of the shares is then the weighted sum of outputs).
     *
     * @return the supported blocks; only {@code STACK} unless the method says more
     */
    default Set<CompositionKind> compositions() {
        return EnumSet.of(CompositionKind.STACK);
    }

    /**
     * Checks limits that depend on the configs of the adapters one block combines, before the
     * setup is activated; only called for blocks in {@link #compositions()}.
     *
     * @param block the block
     * @param configs the configs of this method's adapters under the block, by name, in order
     * @throws IllegalArgumentException naming the block and the adapters when they cannot combine
     */
    default void checkComposition(CompositionKind block, Map<String, C> configs) {}
}
