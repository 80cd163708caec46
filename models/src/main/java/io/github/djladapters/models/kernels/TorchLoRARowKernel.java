package io.github.djladapters.models.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.runtime.methods.lora.LoRARowKernel;

/**
 * LoRA's per-row products in one TorchScript call per layer ({@code lora_row_runs} in
 * {@code kernels.torchscript.py}): per run of rows on one adapter, {@code torch.mm} for the down
 * projection and {@code addmm_} into the base output, on the CPU in float32 without autograd. Found by
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
    public void addRuns(NDArray result, NDArray x, NDArray downs, NDArray ups, long[] runs) {
        try (IValue r = TorchKernels.tensor(result); IValue in = TorchKernels.tensor(x);
                IValue d = TorchKernels.tensor(downs); IValue u = TorchKernels.tensor(ups);
                IValue spans = IValue.listFrom(runs); IValue count = IValue.from((long) (runs.length / 3));
                IValue done = TorchKernels.on(x.getDevice()).call("lora_row_runs", r, in, d, u, spans, count)) {
            // result was written in place
        }
    }
}
