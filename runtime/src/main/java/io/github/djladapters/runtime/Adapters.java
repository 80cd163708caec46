package io.github.djladapters.runtime;

import ai.djl.nn.Block;
import io.github.djladapters.runtime.bindings.AdapterModelInterface;
import io.github.djladapters.runtime.bindings.InterfaceBindings;
import io.github.djladapters.runtime.bindings.ModelBindings;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The entry point: binds a DJL model to the declaration of where its parts are, so that adapters
 * can be added to it.
 *
 * <pre>{@code
 * AdapterModel<LlamaModel> bound = Adapters.init(model);                  // generated bindings
 * AdapterModel<MyModel> other = Adapters.init(myModel, AdapterModelInterface.fromJson(file));
 * }</pre>
 *
 * <p>Generated bindings are found with {@link java.util.ServiceLoader} in the context class loader,
 * then in this library's loader; each loader is scanned once.
 */
public final class Adapters {

    private Adapters() {}

    /**
     * Binds a model to the bindings generated for its class or its nearest superclass
     * ({@code @AdaptableModel} classes, and {@code @AdapterInterface} descriptors with a target).
     *
     * @param model the model
     * @param <M> the model class
     * @return the bound model, checked
     * @throws IllegalStateException when no bindings apply, saying how to declare them, or when the
     *     bindings do not fit the model, naming the site and layer
     */
    public static <M extends Block> AdapterModel<M> init(M model) {
        Objects.requireNonNull(model, "model");
        Class<?> type = model.getClass();
        ModelBindings<?> found = search(catalog -> catalog.forModelClass(type))
                .orElseThrow(() -> new IllegalStateException(noBindings(type)));
        return AdapterModel.bind(model, accepting(found));
    }

    /**
     * Binds a model to a runtime interface of child-name paths.
     *
     * @param model the model
     * @param iface where the parts are
     * @param <M> the model class
     * @return the bound model, checked
     * @throws IllegalStateException when a path does not resolve, listing the children that exist
     */
    public static <M extends Block> AdapterModel<M> init(M model, AdapterModelInterface iface) {
        Objects.requireNonNull(model, "model");
        @SuppressWarnings("unchecked") // getClass() of an M is a Class<? extends M>
        Class<M> type = (Class<M>) model.getClass();
        return AdapterModel.bind(model, new InterfaceBindings<>(type, AdapterModelInterface.class, iface));
    }

    /**
     * Binds a model to the bindings generated for one declaration, such as an
     * {@code @AdapterInterface} descriptor without a target.
     *
     * @param model the model
     * @param declaringType the annotated class or descriptor
     * @param <M> the model class
     * @return the bound model, checked
     * @throws IllegalStateException when no bindings were generated for {@code declaringType}
     * @throws IllegalArgumentException when they are for another model class
     */
    public static <M extends Block> AdapterModel<M> init(M model, Class<?> declaringType) {
        Objects.requireNonNull(model, "model");
        ModelBindings<?> found = search(catalog -> catalog.forDeclaringType(declaringType))
                .orElseThrow(() -> new IllegalStateException("no adapter bindings were generated for "
                        + declaringType.getName() + ": annotate it with @AdapterInterface or @AdaptableModel and put"
                        + " djl-adapters-processor on the compiler's annotation processor path; bindings found: "
                        + foundDeclarations()));
        if (!found.modelType().isInstance(model)) {
            throw new IllegalArgumentException("adapter bindings declared by " + declaringType.getName()
                    + " are for " + found.modelType().getName() + ", not " + model.getClass().getName());
        }
        return AdapterModel.bind(model, accepting(found));
    }

    /**
     * Binds a model to bindings you supply, such as hand-written ones.
     *
     * @param model the model
     * @param bindings the bindings
     * @param <M> the model class
     * @return the bound model, checked
     */
    public static <M extends Block> AdapterModel<M> init(M model, ModelBindings<? super M> bindings) {
        return AdapterModel.bind(model, bindings);
    }

    @SuppressWarnings("unchecked") // callers checked that modelType() accepts the model
    private static <M extends Block> ModelBindings<? super M> accepting(ModelBindings<?> bindings) {
        return (ModelBindings<? super M>) bindings;
    }

    private static Optional<ModelBindings<?>> search(Function<BindingsCatalog, Optional<ModelBindings<?>>> query) {
        for (ClassLoader loader : loaders()) {
            Optional<ModelBindings<?>> found = query.apply(BindingsCatalog.of(loader));
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Set<ClassLoader> loaders() {
        Set<ClassLoader> loaders = new LinkedHashSet<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) {
            loaders.add(context);
        }
        loaders.add(Adapters.class.getClassLoader());
        return loaders;
    }

    private static List<String> foundDeclarations() {
        List<String> names = new ArrayList<>();
        for (ClassLoader loader : loaders()) {
            for (ModelBindings<?> bindings : BindingsCatalog.of(loader).all()) {
                String name = bindings.declaringType().getName();
                if (!names.contains(name)) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private static String noBindings(Class<?> type) {
        return "no adapter bindings for " + type.getName() + " or its superclasses. Declare them in one of"
                + " three ways: (1) annotate " + type.getSimpleName() + " with @AdaptableModel(methods = ...) and its"
                + " parts with @Embeddings, @Layers, @SelfAttention, ... and put djl-adapters-processor on the"
                + " compiler's annotation processor path; (2) write an @AdapterInterface(target = "
                + type.getSimpleName() + ".class) descriptor with child-name paths; (3) call Adapters.init(model,"
                + " AdapterModelInterface.builder()...build()) at run time. Bindings found on the class path: "
                + foundDeclarations();
    }
}
