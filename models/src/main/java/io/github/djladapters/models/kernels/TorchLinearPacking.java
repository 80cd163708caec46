package io.github.djladapters.models.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.runtime.architecture.LinearPacking;
import io.github.djladapters.runtime.architecture.PackedLinearWeights;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Packed inference products for PyTorch on the CPU, the ones inductor uses for float32 linear layers
 * of a frozen model: with {@code -Ddjladapters.linear.packed=mkl} (or {@code true}), MKL's
 * {@code cblas_sgemm_pack} ({@code mkl::_mkl_reorder_linear_weight}) once per weight and row count,
 * then {@code cblas_sgemm_compute} ({@code mkl::_mkl_linear}, which adds the bias); with
 * {@code onednn}, oneDNN's reordered weight ({@code mkldnn::_reorder_linear_weight}) and
 * {@code mkldnn::_linear_pointwise}. The operators come from a TorchScript module of their own
 * (resource {@code packed-linear.torchscript.py}, not {@code kernels.torchscript.py}): a libtorch built
 * without MKL (aarch64) refuses it, and then every product stays plain while the other kernels keep
 * working.
 */
public final class TorchLinearPacking implements LinearPacking {

    private static final String SOURCE = "packed-linear.torchscript.py";
    private final String source;
    private final String kind;
    private volatile TorchKernels module;
    private volatile boolean refused;

    /** The packing of {@code packed-linear.torchscript.py}, found by {@link java.util.ServiceLoader}. */
    public TorchLinearPacking() {
        this(null, "onednn".equals(System.getProperty(PackedLinearWeights.PROPERTY, "").trim()
                .toLowerCase(Locale.ROOT)) ? "onednn" : "mkl");
    }

    /**
     * A packing of one kind, compiled from the resource or from other TorchScript source (tests: a
     * source that libtorch refuses).
     *
     * @param source the {@code PackedLinear} class, or null for the resource
     * @param kind {@code mkl} or {@code onednn}
     */
    TorchLinearPacking(String source, String kind) {
        this.source = source;
        this.kind = kind;
    }

    @Override
    public boolean applies(NDArray x, NDArray weight) {
        return !refused && x instanceof PtNDArray && weight instanceof PtNDArray && TorchKernels.available()
                && x.getDataType() == DataType.FLOAT32 && weight.getDataType() == DataType.FLOAT32
                && weight.getShape().dimension() == 2 && Device.cpu().equals(x.getDevice())
                && Device.cpu().equals(weight.getDevice()) && !JniUtils.isGradMode() && module() != null;
    }

    @Override
    public NDArray pack(NDArray weight, long rows) {
        try (IValue w = TorchKernels.tensor(weight); IValue r = IValue.from(rows);
                IValue result = loaded().call(kind + "_pack", w, r)) {
            return result.toTensor((PtNDManager) weight.getManager());
        }
    }

    @Override
    public NDArray product(NDArray x, NDArray packed, NDArray weight, NDArray bias, long rows) {
        IValue[] args = bias == null
                ? new IValue[] {TorchKernels.tensor(x), TorchKernels.tensor(packed), TorchKernels.tensor(weight),
                    IValue.from(rows)}
                : new IValue[] {TorchKernels.tensor(x), TorchKernels.tensor(packed), TorchKernels.tensor(weight),
                    TorchKernels.tensor(bias), IValue.from(rows)};
        try (IValue result = loaded().call(bias == null ? kind + "_linear_no_bias" : kind + "_linear", args)) {
            return result.toTensor((PtNDManager) x.getManager());
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }

    /** The compiled module; only after {@link #applies} said yes. */
    private TorchKernels loaded() {
        TorchKernels loaded = module();
        if (loaded == null) {
            throw new IllegalStateException("libtorch refused " + SOURCE + ": packed products do not apply");
        }
        return loaded;
    }

    /** The compiled module, compiled on first use; null when libtorch refused it. */
    private TorchKernels module() {
        TorchKernels loaded = module;
        if (loaded != null) {
            return loaded;
        }
        synchronized (this) {
            if (module == null && !refused) {
                try {
                    String text = source != null ? source : TorchKernels.resource(SOURCE);
                    module = TorchKernels.compile(Device.cpu(), "PackedLinear", text, SOURCE);
                } catch (RuntimeException e) {
                    refused = true;
                    LoggerFactory.getLogger(TorchLinearPacking.class).warn("packed linear products are off: {}",
                            e.getMessage());
                }
            }
            return module;
        }
    }
}
