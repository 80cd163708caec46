package io.github.djladapters.models.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djladapters.models.bert.BertModel;
import io.github.djladapters.models.training.FusedAdam;
import java.io.IOException;
import java.util.List;
import java.util.Random;

/**
 * A PyTorch profiler trace (chrome format) of LoRA training steps at the peer comparison's shapes
 * (all-MiniLM-L6-v2, 8 x 128 tokens, r 8 on query and value, AdamW through {@link FusedAdam}), after
 * warm-up steps; {@code bench/peers/step_profile.py} writes PEFT's and compares the two by op.
 *
 * <pre>
 * java -cp ... io.github.djladapters.models.bench.TrainingStepProfile trace.json [warmUp] [steps] [threads]
 * </pre>
 */
public final class TrainingStepProfile {

    private TrainingStepProfile() {}

    /**
     * Warms up, then profiles {@code steps} steps.
     *
     * @param args the trace file, warm-up steps (default 3), profiled steps (default 1), PyTorch intra-op
     *     threads (default 1)
     * @throws IOException when the model cannot be read
     */
    public static void main(String[] args) throws IOException {
        System.setProperty("ai.djl.pytorch.num_threads", args.length > 3 ? args[3] : "1");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel model = BenchInputs.trainingModel(manager, true);
            List<Parameter> trainable = BenchInputs.trainable(model);
            FusedAdam adamW = FusedAdam.adamW(trainable, manager, 1e-5f);
            long[][] ids = BenchInputs.tokenIds(8, 128, new Random(42));
            for (int step = 0; step < warmUp + steps; step++) {
                if (step == warmUp) {
                    JniUtils.startProfile(false, true, true);
                }
                BenchInputs.trainingStep(manager, model, adamW, ids);
            }
            JniUtils.stopProfile(args[0]);
        }
    }
}
