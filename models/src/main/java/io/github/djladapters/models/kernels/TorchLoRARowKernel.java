package io.github.djladapters.models.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.runtime.methods.lora.LoRARowKernel;
import java.util.List;

/**
 * LoRA's per-row products in one TorchScript call per layer ({@code lora_row_runs} in
 * {@code kernels.torchscript.py}): per run of rows on one adapter, {@code torch.linear} with {@code A} for
 * the down projection and {@code addmm_} with {@code B^T} and the scaling into the base output, on the CPU in float32 without autograd. Found by
 * {@link java.util.ServiceLoader}.
 */
public final class TorchLoRARowKernel implements LoRARowKernel {

    /** The kernel, for {@link java.util.ServiceLoader}. */
    public TorchLoRARowKernel() {}

    @Override
    public boolean applies(NDArray result, NDArray x) {
        return result instanceof PtNDArray && x instanceof PtNDArray && TorchKernels.available()
                && result.getDataType() == DataType.FLOAT32 && x.getDataType() == DataType.FLOAT32
                && Device.cpu().equals(x.getDevice()) && Device.cpu().equals(result.getDevice())
                && !JniUtils.isGradMode();
    }

    @Override
    public void addRuns(NDArray result, NDArray x, List<NDArray> downs, List<NDArray> ups, double[] scalings,
            long[] runs) {
        try (IValue r = TorchKernels.tensor(result); IValue in = TorchKernels.tensor(x);
                IValue d = TorchKernels.tensors(downs.toArray(NDArray[]::new));
                IValue u = TorchKernels.tensors(ups.toArray(NDArray[]::new)); IValue s = IValue.listFrom(scalings);
                IValue spans = IValue.listFrom(runs); IValue count = IValue.from((long) (runs.length / 3));
                IValue done = TorchKernels.on(x.getDevice()).call("lora_row_runs", r, in, d, u, s, spans, count)) {
            // result was written in place
        }
    }
}
