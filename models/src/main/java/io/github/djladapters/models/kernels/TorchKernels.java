package io.github.djladapters.models.kernels;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.LoggerFactory;

/**
 * PyTorch operators that DJL 0.35.1 does not expose ({@code scaled_dot_product_attention},
 * {@code _fused_adamw_}, ...), reached through a small TorchScript module: its source is the resource
 * {@code kernels.torchscript.py}, written into an archive in memory ({@link TorchScriptArchive}) and
 * loaded once per device, lazily and thread-safely. Adding an operator is one method in that file.
 *
 * <p>Methods run like ordinary ops: under the calling thread's grad mode (autograd records through
 * them when it is on), results joining the manager the caller names. DJL's public
 * {@code IValueUtils.runMethod} runs methods in inference mode (no autograd, results that later
 * in-place ops refuse), so calls go to the same native entry point with its training flag set.
 *
 * <p>The TorchScript graph executor's optimisation is switched off for these calls (on the calling
 * thread, where libtorch keeps that setting, and back to DJL's setting after): the methods are single
 * operator calls with nothing to fuse, and the profiling executor's first call of a method cost about
 * half a second here against 70 ms without it, with more recompilations as shapes change (every
 * decoding step has a new key length). A thread on which the caller turned the optimiser off with
 * {@code JniUtils.setGraphExecutorOptimize(false)} gets DJL's default back after a kernel call, unless
 * the system property {@code ai.djl.pytorch.graph_optimizer} says {@code false}. The caller's own
 * value cannot be restored because it cannot be read: libtorch keeps it in a C++ {@code thread_local}
 * whose getter ({@code torch::jit::getGraphExecutorOptimize}) DJL's JNI does not bind (it binds only
 * the setter), TorchScript has no operator that returns it, and calling the C++ symbol from Java 17
 * would take the incubating foreign-function API.
 *
 * <pre>{@code
 * if (TorchKernels.available()) {
 *     NDArray context = TorchKernels.on(q.getDevice()).sdpa(q, k, v, mask, 0f, false, scale);
 * }
 * }</pre>
 */
public final class TorchKernels {

    private static final String SOURCE = "kernels.torchscript.py";
    private static final Map<Device, TorchKernels> LOADED = new ConcurrentHashMap<>();
    private static final Native NATIVE = Native.find();
    /** DJL's graph-optimiser setting ({@code PtEngine}: on unless the property says false), restored after calls. */
    private static final boolean OPTIMIZER = !"false".equals(System.getProperty("ai.djl.pytorch.graph_optimizer"));
    private static volatile boolean groupedQueryRows = true;

    private final PtSymbolBlock module;

    private TorchKernels(PtSymbolBlock module) {
        this.module = module;
    }

    /**
     * Whether the kernels can run: the default engine is PyTorch and this DJL version's native entry
     * point was found.
     *
     * @return true when {@link #on(Device)} can load the module
     */
    public static boolean available() {
        return NATIVE != null && "PyTorch".equals(Engine.getInstance().getEngineName());
    }

    /**
     * The kernels module on {@code device}, loaded on first use and kept for the life of the process.
     *
     * @param device the device of the arrays the kernels will see
     * @return the module
     * @throws IllegalStateException when the engine is not PyTorch or the module cannot be loaded
     */
    public static TorchKernels on(Device device) {
        if (!available()) {
            throw new IllegalStateException("TorchScript kernels need DJL's PyTorch engine (found "
                    + Engine.getInstance().getEngineName() + ")");
        }
        return LOADED.computeIfAbsent(device, TorchKernels::load);
    }

    private static TorchKernels load(Device device) {
        return compile(device, "Kernels", resource(SOURCE), SOURCE);
    }

    /**
     * A TorchScript resource next to this class, as text.
     *
     * @param name the resource's file name
     * @return its content
     * @throws IllegalStateException when it is missing
     */
    static String resource(String name) {
        try (InputStream in = TorchKernels.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + name, e);
        }
    }

    /**
     * Compiles another module of TorchScript methods, for operators that a libtorch build may lack
     * (a missing operator fails the whole module, so they stay out of {@code kernels.torchscript.py}).
     * The module lives as long as the process.
     *
     * @param device the device of the arrays its methods will see
     * @param className the class that {@code source} declares
     * @param source the class in serialized TorchScript
     * @param origin what the source is, for the error message
     * @return the module
     * @throws IllegalStateException when libtorch refuses the source
     */
    public static TorchKernels compile(Device device, String className, String source, String origin) {
        // A manager of the process's lifetime: the module is shared by every caller and never freed.
        PtNDManager manager = (PtNDManager) Engine.getInstance().newBaseManager(device);
        try {
            PtSymbolBlock module = JniUtils.loadModule(manager,
                    new ByteArrayInputStream(TorchScriptArchive.of(className, source)), true, false);
            return new TorchKernels(module);
        } catch (IOException | EngineException e) {
            manager.close();
            throw new IllegalStateException("libtorch refused the TorchScript module (" + origin + "): "
                    + e.getMessage(), e);
        }
    }

    /**
     * {@code torch.nn.functional.scaled_dot_product_attention}: {@code softmax(q k^T scale + mask) v}
     * in one fused kernel where PyTorch has one for the inputs (flash attention on CPU), with autograd.
     *
     * @param q {@code [B, heads, T, headDim]}
     * @param k {@code [B, kvHeads, S, headDim]}; {@code heads} a multiple of {@code kvHeads}
     *     (grouped-query attention: without {@code causal}, each key/value head's query heads become
     *     query rows of one attention; with it, {@code enable_gqa})
     * @param v {@code [B, kvHeads, S, headDim]}
     * @param mask additive float mask broadcastable to {@code [B, heads, T, S]} (0 to attend, a large
     *     negative number to hide), or null
     * @param dropout the probability of dropping an attention weight (0 outside training)
     * @param causal whether query {@code i} sees only keys up to {@code i} (on top of the mask)
     * @param scale the factor of the scores, {@code 1 / sqrt(headDim)} usually, 1 for T5
     * @return {@code [B, heads, T, headDim]}, owned by the manager of {@code q}
     */
    public NDArray sdpa(NDArray q, NDArray k, NDArray v, NDArray mask, float dropout, boolean causal, float scale) {
        boolean grouped = k.getShape().get(1) != q.getShape().get(1);
        if (grouped && !causal && groupedQueryRows) {
            return sdpaGroupedRows(q, k, v, mask, dropout, scale);
        }
        IValue[] args = mask == null
                ? new IValue[] {tensor(q), tensor(k), tensor(v), IValue.from((double) dropout), IValue.from(causal),
                    IValue.from((double) scale), IValue.from(grouped)}
                : new IValue[] {tensor(q), tensor(k), tensor(v), tensor(mask), IValue.from((double) dropout),
                    IValue.from(causal), IValue.from((double) scale), IValue.from(grouped)};
        try (IValue result = call(mask == null ? "sdpa" : "sdpa_masked", args)) {
            return result.toTensor((PtNDManager) q.getManager());
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }

    /**
     * Switches {@link #sdpa}'s form for grouped-query attention for the whole process, for tests and
     * A/B measurements: query rows per key/value head (the default) or {@code enable_gqa}.
     *
     * @param on true for query rows per key/value head
     */
    public static void setGroupedQueryRows(boolean on) {
        groupedQueryRows = on;
    }

    /**
     * Grouped-query attention as one attention per key/value head: the {@code heads / kvHeads} query
     * heads of a key/value head become query rows ({@code [B, kvHeads, groups * T, headDim]}, the mask's
     * rows repeated to match), so {@code scaled_dot_product_attention} runs without {@code enable_gqa},
     * which in libtorch 2.7.1 takes a slower path under a float mask (docs/benchmarks.md, "Grouped
     * query rows in the block forward"). The same scores; not for causal attention (the rows of a
     * group would each see the wrong diagonal).
     */
    private NDArray sdpaGroupedRows(NDArray q, NDArray k, NDArray v, NDArray mask, float dropout, float scale) {
        IValue[] args = mask == null
                ? new IValue[] {tensor(q), tensor(k), tensor(v), IValue.from((double) dropout),
                    IValue.from((double) scale)}
                : new IValue[] {tensor(q), tensor(k), tensor(v), tensor(mask), IValue.from((double) dropout),
                    IValue.from((double) scale)};
        try (IValue result = call(mask == null ? "sdpa_grouped" : "sdpa_grouped_masked", args)) {
            return result.toTensor((PtNDManager) q.getManager());
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }

    /**
     * Runs a method of the module on arguments made with {@link IValue}'s factories, under the thread's
     * grad mode. The caller closes the arguments (they may be kept for further calls) and the result.
     *
     * @param method a method of {@code kernels.torchscript.py}
     * @param args its arguments
     * @return the result (None for methods that return nothing)
     * @throws EngineException when TorchScript refuses the call (wrong arguments, say)
     */
    public IValue call(String method, IValue... args) {
        long[] handles = new long[args.length];
        for (int i = 0; i < args.length; i++) {
            handles[i] = args[i].getHandle();
        }
        JniUtils.setGraphExecutorOptimize(false);
        try {
            return NATIVE.run(module.getHandle(), method, handles);
        } finally {
            JniUtils.setGraphExecutorOptimize(OPTIMIZER);
        }
    }

    /**
     * An argument for {@link #call}: a tensor.
     *
     * @param array an array of the PyTorch engine
     * @return its IValue (the tensor is shared, not copied)
     */
    public static IValue tensor(NDArray array) {
        return IValue.from((PtNDArray) array);
    }

    /**
     * An argument for {@link #call}: a list of tensors.
     *
     * @param arrays arrays of the PyTorch engine
     * @return the list's IValue (tensors shared, not copied)
     */
    public static IValue tensors(NDArray... arrays) {
        PtNDArray[] pt = new PtNDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            pt[i] = (PtNDArray) arrays[i];
        }
        return IValue.listFrom(pt);
    }

    /**
     * DJL's native {@code moduleRunMethod} with its training flag set: the call then runs under the
     * thread's grad mode instead of an inference-mode guard. Reached by reflection because DJL keeps
     * the JNI class package-private; null when this DJL version has no such entry point.
     */
    private record Native(Object library, Method runMethod, Constructor<IValue> wrap) {

        static Native find() {
            try {
                Class<?> type = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
                Field lib = type.getDeclaredField("LIB");
                lib.setAccessible(true);
                Method run = type.getDeclaredMethod("moduleRunMethod", long.class, String.class, long[].class,
                        boolean.class, boolean.class);
                run.setAccessible(true);
                Constructor<IValue> wrap = IValue.class.getDeclaredConstructor(long.class);
                wrap.setAccessible(true);
                return new Native(lib.get(null), run, wrap);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                LoggerFactory.getLogger(TorchKernels.class).warn("DJL's native moduleRunMethod was not found ({}):"
                        + " fused attention and the fused optimizer step fall back to written-out engine ops", e.toString());
                return null;
            }
        }

        IValue run(long module, String method, long[] args) {
            try {
                long result = (long) runMethod.invoke(library, module, method, args, true, false);
                return wrap.newInstance(result);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                throw new IllegalStateException("TorchScript kernel '" + method + "' failed", e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot call DJL's moduleRunMethod", e);
            }
        }
    }
}
