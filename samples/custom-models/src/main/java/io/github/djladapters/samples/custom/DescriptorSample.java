package io.github.djladapters.samples.custom;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.Adapters;
import io.github.djladapters.runtime.methods.lora.LoRAConfig;
import io.github.djladapters.runtime.methods.lora.LoRAInit;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A model you cannot edit ({@link VendorEncoder}), declared with an annotated descriptor
 * ({@link VendorEncoderAdapters}): {@code Adapters.init} finds the generated bindings, a LoRA learns
 * to reproduce a hidden low-rank change of the model (a "teacher" with a random LoRA), is saved in
 * PEFT's layout and loaded into a fresh copy of the model.
 */
public final class DescriptorSample {

    static final int FEATURES = 8;
    static final int HIDDEN = 32;
    static final int HEADS = 4;
    static final int LAYERS = 2;
    static final long SEED = 11;

    private DescriptorSample() {}

    /**
     * What a run measured.
     *
     * @param bindings the simple name of the bindings class that was found
     * @param losses the training loss of every step
     * @param reloadDifference max abs difference between the trained and the reloaded model's outputs
     * @param savedFiles the adapter folder's file names
     */
    public record Result(String bindings, List<Float> losses, double reloadDifference, List<String> savedFiles) {}

    /**
     * Runs the sample.
     *
     * @param args optional: the output folder (default {@code target/vendor-lora}), then the step count
     * @throws IOException when the adapter cannot be written or read
     */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "target/vendor-lora");
        run(System.out, out, args.length > 1 ? Integer.parseInt(args[1]) : 150);
    }

    /**
     * Trains, saves, reloads and checks, printing each stage.
     *
     * @param out where the report goes
     * @param adapterDir where the adapter is saved
     * @param steps training steps
     * @return the figures
     * @throws IOException when the adapter cannot be written or read
     */
    public static Result run(PrintStream out, Path adapterDir, int steps) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray inputs = manager.randomNormal(new Shape(16, 6, FEATURES));
            NDArray target = teacherOutputs(manager, inputs);

            AdapterModel<VendorEncoder> adapters = Adapters.init(freshEncoder(manager));
            String bindings = adapters.bindings().getClass().getSimpleName();
            out.println("Adapters.init found " + bindings + ": " + adapters.layerCount() + " layers");
            adapters.sites().forEach(site -> out.printf(Locale.ROOT, "  %-19s %s%n", site, adapters.modulePath(0, site)));

            adapters.addAdapter("default", LoRAConfig.builder().r(4).loraAlpha(8).targetModules("q_proj", "v_proj")
                    .build());
            adapters.trainAdapter("default");
            out.println(adapters.trainableParameters());
            List<Float> losses = train(adapters, inputs, target, steps);
            out.printf(Locale.ROOT, "loss (mean squared error to the teacher): %.5f -> %.5f after %d steps%n",
                    losses.get(0), losses.get(losses.size() - 1), steps);

            adapters.saveAdapter(adapterDir);
            List<String> files = new ArrayList<>();
            try (var listing = Files.list(adapterDir)) {
                listing.map(p -> p.getFileName().toString()).sorted().forEach(files::add);
            }
            out.println("saved " + files + " to " + adapterDir);

            AdapterModel<VendorEncoder> reloaded = Adapters.init(freshEncoder(manager));
            reloaded.loadAdapter(adapterDir);
            reloaded.setActiveAdapters("default");
            double difference = adapters.forward(new NDList(inputs)).head()
                    .sub(reloaded.forward(new NDList(inputs)).head()).abs().max().getFloat();
            out.printf(Locale.ROOT, "fresh model + reloaded adapter vs trained: max abs difference %.2e%n", difference);
            return new Result(bindings, losses, difference, files);
        }
    }

    /** The same base weights every time: the engine's seed is set before they are drawn. */
    static VendorEncoder freshEncoder(NDManager manager) {
        Engine.getInstance().setRandomSeed((int) SEED);
        VendorEncoder encoder = new VendorEncoder(HIDDEN, HEADS, LAYERS);
        encoder.initialize(manager, DataType.FLOAT32, new Shape(1, 1, FEATURES));
        return encoder;
    }

    /** The base model with a random rank-2 LoRA on q and v: the change the student must find. */
    private static NDArray teacherOutputs(NDManager manager, NDArray inputs) {
        AdapterModel<VendorEncoder> teacher = Adapters.init(freshEncoder(manager));
        teacher.addAdapter("teacher", LoRAConfig.builder().r(2).loraAlpha(4).targetModules("q_proj", "v_proj")
                .initLoraWeights(LoRAInit.NONE).build());
        teacher.setActiveAdapters("teacher");
        return teacher.forward(new NDList(inputs)).head();
    }

    private static List<Float> train(AdapterModel<VendorEncoder> adapters, NDArray inputs, NDArray target, int steps) {
        List<Parameter> trainable = adapters.model().getParameters().values().stream()
                .filter(Parameter::requiresGradient).toList();
        Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
        List<Float> losses = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            try (NDManager scope = inputs.getManager().newSubManager()) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray output = adapters.model().forward(new ParameterStore(scope, false), new NDList(inputs), true)
                            .head();
                    NDArray loss = output.sub(target).square().mean();
                    collector.backward(loss);
                    losses.add(loss.getFloat());
                }
                for (Parameter p : trainable) {
                    NDArray gradient = p.getArray().getGradient();
                    adam.update(p.getId(), p.getArray(), gradient);
                    gradient.subi(gradient); // PyTorch accumulates gradients
                }
            }
        }
        return losses;
    }
}
