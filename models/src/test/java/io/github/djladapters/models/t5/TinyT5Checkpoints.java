package io.github.djladapters.models.t5;

import ai.djl.ndarray.types.Shape;
import io.github.djladapters.models.generation.TinyDecoderCheckpoints;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Seeded random T5 checkpoints in Hugging Face layout (config.json + model.safetensors). */
final class TinyT5Checkpoints {

    private TinyT5Checkpoints() {}

    /**
     * A tiny T5: d_model 16, 4 heads of 6 (inner 24, not d_model), d_ff 20, 2 encoder and 3 decoder
     * blocks, vocab 40, 8 buckets up to distance 20 (so that short sequences reach the logarithmic
     * buckets and the cap), pad 0, eos 1, decoder start 0.
     */
    static T5Config tiny(String feedForward, boolean tied) {
        return new T5Config(40, 16, 6, 20, 2, 3, 4, 8, 20, 1e-6, feedForward, tied, 0, 0, 1);
    }

    /** Every T5ForConditionalGeneration tensor by Hugging Face name, with its shape. */
    static Map<String, Shape> shapes(T5Config c) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("shared.weight", new Shape(c.vocabSize(), c.dModel()));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "encoder.block." + l + ".layer.";
            attention(shapes, c, p + "0.SelfAttention.", l == 0);
            shapes.put(p + "0.layer_norm.weight", new Shape(c.dModel()));
            feedForward(shapes, c, p + "1.");
        }
        shapes.put("encoder.final_layer_norm.weight", new Shape(c.dModel()));
        for (int l = 0; l < c.numDecoderLayers(); l++) {
            String p = "decoder.block." + l + ".layer.";
            attention(shapes, c, p + "0.SelfAttention.", l == 0);
            shapes.put(p + "0.layer_norm.weight", new Shape(c.dModel()));
            attention(shapes, c, p + "1.EncDecAttention.", false);
            shapes.put(p + "1.layer_norm.weight", new Shape(c.dModel()));
            feedForward(shapes, c, p + "2.");
        }
        shapes.put("decoder.final_layer_norm.weight", new Shape(c.dModel()));
        if (!c.tieWordEmbeddings()) {
            shapes.put("lm_head.weight", new Shape(c.vocabSize(), c.dModel()));
        }
        return shapes;
    }

    private static void attention(Map<String, Shape> shapes, T5Config c, String p, boolean relativeBias) {
        for (String name : new String[] {"q", "k", "v"}) {
            shapes.put(p + name + ".weight", new Shape(c.innerDim(), c.dModel()));
        }
        shapes.put(p + "o.weight", new Shape(c.dModel(), c.innerDim()));
        if (relativeBias) {
            shapes.put(p + "relative_attention_bias.weight", new Shape(c.relativeAttentionNumBuckets(), c.numHeads()));
        }
    }

    private static void feedForward(Map<String, Shape> shapes, T5Config c, String p) {
        String[] inputs = c.gatedFeedForward() ? new String[] {"wi_0", "wi_1"} : new String[] {"wi"};
        for (String name : inputs) {
            shapes.put(p + "DenseReluDense." + name + ".weight", new Shape(c.dFf(), c.dModel()));
        }
        shapes.put(p + "DenseReluDense.wo.weight", new Shape(c.dModel(), c.dFf()));
        shapes.put(p + "layer_norm.weight", new Shape(c.dModel()));
    }

    /**
     * Writes a seeded random checkpoint and returns its weights. A tied checkpoint also carries the
     * copies {@code encoder.embed_tokens.weight} and {@code decoder.embed_tokens.weight}, as older
     * transformers files do.
     */
    static Map<String, float[]> write(Path dir, T5Config config, long seed) throws IOException {
        Map<String, Shape> shapes = shapes(config);
        Map<String, float[]> weights = TinyDecoderCheckpoints.randomWeights(shapes, seed, 0.3);
        Map<String, Shape> written = new LinkedHashMap<>(shapes);
        Map<String, float[]> values = new LinkedHashMap<>(weights);
        if (config.tieWordEmbeddings()) {
            for (String copy : new String[] {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"}) {
                written.put(copy, shapes.get("shared.weight"));
                values.put(copy, weights.get("shared.weight"));
            }
        }
        TinyDecoderCheckpoints.write(dir, config.toJson(), written, values);
        return weights;
    }
}
