package io.github.djladapters.models.generation;

import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.models.gpt2.GPT2Config;
import io.github.djladapters.models.llama.LlamaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Seeded random decoder checkpoints in Hugging Face layout (config.json + model.safetensors). */
public final class TinyDecoderCheckpoints {

    private TinyDecoderCheckpoints() {}

    /** A tiny Llama: hidden 32, 4 heads of 8, 2 KV heads, 2 layers, vocab 50. */
    public static LlamaConfig tinyLlama(String type, boolean tied) {
        boolean qwen = type.equals("qwen2");
        return new LlamaConfig(type, 50, 32, 48, 2, 4, 2, 8, 1e-6, 10000.0, qwen, false, false, tied, 1,
                Set.of(2), 0);
    }

    /** A tiny GPT-2: n_embd 32, 4 heads, 2 layers, vocab 50, 64 positions. */
    public static GPT2Config tinyGpt2() {
        return new GPT2Config("gpt2", 50, 64, 32, 2, 4, null, "gelu_new", 1e-5, true, false, true, 1, 2);
    }

    /** Every Llama tensor by Hugging Face name, with its shape. */
    public static Map<String, Shape> shapes(LlamaConfig c) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        int h = c.hiddenSize();
        int q = c.numAttentionHeads() * c.headDim();
        int kv = c.numKeyValueHeads() * c.headDim();
        shapes.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new Shape(h));
            shapes.put(p + "self_attn.q_proj.weight", new Shape(q, h));
            shapes.put(p + "self_attn.k_proj.weight", new Shape(kv, h));
            shapes.put(p + "self_attn.v_proj.weight", new Shape(kv, h));
            if (c.qkvBias()) {
                shapes.put(p + "self_attn.q_proj.bias", new Shape(q));
                shapes.put(p + "self_attn.k_proj.bias", new Shape(kv));
                shapes.put(p + "self_attn.v_proj.bias", new Shape(kv));
            }
            shapes.put(p + "self_attn.o_proj.weight", new Shape(h, q));
            shapes.put(p + "post_attention_layernorm.weight", new Shape(h));
            shapes.put(p + "mlp.gate_proj.weight", new Shape(c.intermediateSize(), h));
            shapes.put(p + "mlp.up_proj.weight", new Shape(c.intermediateSize(), h));
            shapes.put(p + "mlp.down_proj.weight", new Shape(h, c.intermediateSize()));
        }
        shapes.put("model.norm.weight", new Shape(h));
        if (!c.tieWordEmbeddings()) {
            shapes.put("lm_head.weight", new Shape(c.vocabSize(), h));
        }
        return shapes;
    }

    /** Every GPT-2 tensor by Hugging Face name ({@code transformer.} keys, Conv1D weights [in, out]). */
    public static Map<String, Shape> shapes(GPT2Config c) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        int h = c.nEmbd();
        shapes.put("transformer.wte.weight", new Shape(c.vocabSize(), h));
        shapes.put("transformer.wpe.weight", new Shape(c.nPositions(), h));
        for (int l = 0; l < c.nLayer(); l++) {
            String p = "transformer.h." + l + ".";
            for (String norm : new String[] {"ln_1", "ln_2"}) {
                shapes.put(p + norm + ".weight", new Shape(h));
                shapes.put(p + norm + ".bias", new Shape(h));
            }
            shapes.put(p + "attn.c_attn.weight", new Shape(h, 3 * h));
            shapes.put(p + "attn.c_attn.bias", new Shape(3 * h));
            shapes.put(p + "attn.c_proj.weight", new Shape(h, h));
            shapes.put(p + "attn.c_proj.bias", new Shape(h));
            shapes.put(p + "mlp.c_fc.weight", new Shape(h, c.nInner()));
            shapes.put(p + "mlp.c_fc.bias", new Shape(c.nInner()));
            shapes.put(p + "mlp.c_proj.weight", new Shape(c.nInner(), h));
            shapes.put(p + "mlp.c_proj.bias", new Shape(h));
        }
        shapes.put("transformer.ln_f.weight", new Shape(h));
        shapes.put("transformer.ln_f.bias", new Shape(h));
        return shapes;
    }

    /** Seeded values: norm gains near 1, everything else N(0, std). */
    public static Map<String, float[]> randomWeights(Map<String, Shape> shapes, long seed, double std) {
        Random random = new Random(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            float[] v = new float[(int) shape.size()];
            boolean gain = name.endsWith("norm.weight") || name.matches(".*ln_[12f]\\.weight");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (gain ? 1 + 0.1 * random.nextGaussian() : std * random.nextGaussian());
            }
            values.put(name, v);
        });
        return values;
    }

    /** Writes config.json text and the weights as model.safetensors. */
    public static void write(Path dir, String configJson, Map<String, Shape> shapes, Map<String, float[]> values)
            throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson);
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        shapes.forEach((name, shape) -> writer.addFloats(name, shape, values.get(name), TensorDType.F32));
        writer.write(dir.resolve("model.safetensors"));
    }
}
