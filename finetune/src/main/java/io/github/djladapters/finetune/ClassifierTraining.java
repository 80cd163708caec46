package io.github.djladapters.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.github.djladapters.models.parallel.TorchThreadTeam;
import io.github.djladapters.models.training.FusedAdam;
import io.github.djladapters.models.training.RowSplitStep;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Fine-tunes a {@link TextClassifier}: mini-batches of shuffled examples, mean cross-entropy,
 * gradients through DJL's {@link GradientCollector} (one open at a time per process), Adam updates
 * of the trainable parameters only ({@link FusedAdam}, the numbers of DJL's Adam in fewer passes). With
 * {@link TrainingSettings#rowGroups()} on and libtorch at more than one intra-op thread on the CPU, each step
 * runs as one row group per thread ({@link RowSplitStep}) over the batch tokenized once: the same loss and
 * gradients to rounding, dropout masks included. Each epoch's order depends only on the seed and the epoch, so a
 * run resumed from a checkpoint sees the batches a straight run would have seen; Adam's moments
 * restart from zero on resume.
 */
public final class ClassifierTraining {

    private final TextClassifier classifier;
    private final TrainingSettings settings;

    /**
     * A training run; call {@link TextClassifier#trainAdapter} first.
     *
     * @param classifier the model to train
     * @param settings epochs, batch size, learning rate, seed
     */
    public ClassifierTraining(TextClassifier classifier, TrainingSettings settings) {
        this.classifier = classifier;
        this.settings = settings;
    }

    /**
     * Trains from the start.
     *
     * @param examples the training set
     * @param progress receives each step
     * @return the losses
     * @throws IOException when the progress listener fails to write a checkpoint
     */
    public TrainingHistory train(List<LabelledText> examples, TrainingProgress progress) throws IOException {
        return train(examples, TrainingHistory.empty(), progress);
    }

    /**
     * Trains the epochs that {@code resumeFrom} has not completed yet.
     *
     * @param examples the training set
     * @param resumeFrom the history of a checkpoint, or {@link TrainingHistory#empty()}
     * @param progress receives each step and each finished epoch
     * @return the losses, those of {@code resumeFrom} first
     * @throws IOException when the progress listener fails to write a checkpoint
     */
    public TrainingHistory train(List<LabelledText> examples, TrainingHistory resumeFrom, TrainingProgress progress)
            throws IOException {
        List<String> labels = classifier.head().labels();
        for (LabelledText example : examples) {
            if (!labels.contains(example.label())) {
                throw new IllegalArgumentException("label '" + example.label() + "' is not one of " + labels);
            }
        }
        List<Parameter> trainable = classifier.trainableParameters();
        int stepsPerEpoch = settings.stepsPerEpoch(examples.size());
        int totalSteps = settings.totalSteps(examples.size());
        List<Float> losses = new ArrayList<>(resumeFrom.losses());
        int step = resumeFrom.epochs() * stepsPerEpoch;
        progress.started(step + 1, totalSteps);
        try (NDManager moments = NDManager.newBaseManager();
                FusedAdam adam = FusedAdam.adam(trainable, moments, settings.learningRate());
                TorchThreadTeam team = rowGroupTeam(trainable)) {
            RowSplitStep split = team == null ? null : new RowSplitStep(team, trainable);
            for (int epoch = resumeFrom.epochs(); epoch < settings.epochs() && step < totalSteps; epoch++) {
                List<LabelledText> order = new ArrayList<>(examples);
                Collections.shuffle(order, new Random(settings.seed() * 31 + epoch));
                Engine.getInstance().setRandomSeed((int) (settings.seed() + epoch)); // dropout, reproducible per epoch
                for (int from = 0; from < order.size() && step < totalSteps; from += settings.batchSize()) {
                    List<LabelledText> batch = order.subList(from, Math.min(order.size(), from + settings.batchSize()));
                    float loss = step(batch, labels, trainable, adam, split);
                    losses.add(loss);
                    progress.stepped(++step, loss);
                }
                if (step % stepsPerEpoch == 0) {
                    progress.epochFinished(epoch + 1, new TrainingHistory(epoch + 1, losses));
                }
            }
        }
        progress.finished();
        return new TrainingHistory(step / stepsPerEpoch, losses);
    }

    /** One thread per libtorch intra-op thread when steps run as row groups (settings, PyTorch on the CPU), else null. */
    private TorchThreadTeam rowGroupTeam(List<Parameter> trainable) {
        if (!settings.rowGroups() || trainable.isEmpty() || !"PyTorch".equals(Engine.getInstance().getEngineName())
                || trainable.get(0).getArray().getDevice().isGpu()) {
            return null;
        }
        int threads = JniUtils.getNumThreads();
        return threads > 1 ? TorchThreadTeam.create(threads) : null;
    }

    private float step(List<LabelledText> batch, List<String> labels, List<Parameter> trainable, FusedAdam adam,
            RowSplitStep split) {
        try (NDManager scope = NDManager.newBaseManager()) {
            float loss = backward(classifier, batch, labels, split, scope);
            adam.step(); // also sets the gradients back to zero, which PyTorch would accumulate into
            for (Parameter parameter : trainable) { // a step can overflow even when its loss was finite
                NDArray array = parameter.getArray();
                try (NDManager check = scope.newSubManager()) {
                    check.tempAttachAll(array);
                    if (array.isNaN().any().getBoolean() || array.isInfinite().any().getBoolean()) {
                        throw new IllegalStateException("training stopped: parameter '" + parameter.getName()
                                + "' became NaN or infinite after an update (the learning rate may be too high);"
                                + " the adapter was not saved");
                    }
                }
            }
            return loss;
        }
    }

    /**
     * The forward and backward pass of one step: the batch is tokenized once (every row padded to its longest),
     * and the gradients of its mean cross-entropy are added to the trainable parameters' gradients, in one
     * pass or, given {@code split}, as its row groups.
     *
     * @param classifier the model
     * @param batch the examples
     * @param labels the labels, in the head's order
     * @param split the row groups, or null for one pass
     * @param scope owns the pass's arrays
     * @return the batch's mean loss
     * @throws IllegalStateException when the loss is not finite
     */
    static float backward(TextClassifier classifier, List<LabelledText> batch, List<String> labels, RowSplitStep split,
            NDManager scope) {
        int[] ids = batch.stream().mapToInt(example -> labels.indexOf(example.label())).toArray();
        NDList inputs = classifier.tokenize(batch.stream().map(LabelledText::text).toList(), scope);
        NDArray target = scope.create(ids).oneHot(labels.size());
        if (split == null) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray crossEntropy = crossEntropy(classifier.logits(new ParameterStore(scope, false), inputs, true),
                        target);
                float loss = requireFinite(crossEntropy.getFloat());
                collector.backward(crossEntropy);
                return loss;
            }
        }
        int inputCount = inputs.size();
        NDList rows = new NDList(inputs);
        rows.add(target);
        return requireFinite(split.step(scope, rows, (group, groupRows) -> crossEntropy(
                classifier.logits(new ParameterStore(group, false), groupRows.subNDList(0, inputCount), true),
                groupRows.get(inputCount))));
    }

    /** The mean cross-entropy of the rows' logits against their one-hot targets. */
    private static NDArray crossEntropy(NDArray logits, NDArray oneHotTargets) {
        return logits.logSoftmax(1).mul(oneHotTargets).sum(new int[] {1}).neg().mean();
    }

    private static float requireFinite(float loss) {
        if (!Float.isFinite(loss)) {
            throw new IllegalStateException("training stopped: the loss is " + loss + " (the learning rate "
                    + "may be too high, or the data or weights hold NaN); the adapter was not saved");
        }
        return loss;
    }
}
