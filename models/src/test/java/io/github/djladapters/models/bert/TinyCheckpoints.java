package io.github.djladapters.models.bert;

import ai.djl.ndarray.types.Shape;
import io.github.djladapters.runtime.safetensors.FloatEncodings;
import io.github.djladapters.runtime.safetensors.SafetensorsWriter;
import io.github.djladapters.runtime.safetensors.TensorDType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Seeded random BERT-family checkpoints in Hugging Face layout, written with {@link SafetensorsWriter}. */
public final class TinyCheckpoints {

    private TinyCheckpoints() {}

    public static BertConfig tinyBert() {
        return new BertConfig("bert", 40, 16, 2, 4, 32, "gelu", 0.1f, 0.1f, 24, 2, 1e-12, 0, 3);
    }

    public static BertConfig tinyRoberta() {
        return new BertConfig("roberta", 40, 16, 2, 4, 32, "gelu", 0.1f, 0.1f, 24, 1, 1e-5, 1, 3);
    }

    /** Every tensor of a base model (no pooler), by Hugging Face name, with its shape. */
    public static Map<String, Shape> shapes(BertConfig c) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        int h = c.hiddenSize();
        shapes.put("embeddings.word_embeddings.weight", new Shape(c.vocabSize(), h));
        shapes.put("embeddings.position_embeddings.weight", new Shape(c.maxPositionEmbeddings(), h));
        shapes.put("embeddings.token_type_embeddings.weight", new Shape(c.typeVocabSize(), h));
        shapes.put("embeddings.LayerNorm.weight", new Shape(h));
        shapes.put("embeddings.LayerNorm.bias", new Shape(h));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "encoder.layer." + l + ".";
            for (String name : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                shapes.put(p + name + ".weight", new Shape(h, h));
                shapes.put(p + name + ".bias", new Shape(h));
            }
            shapes.put(p + "attention.output.LayerNorm.weight", new Shape(h));
            shapes.put(p + "attention.output.LayerNorm.bias", new Shape(h));
            shapes.put(p + "intermediate.dense.weight", new Shape(c.intermediateSize(), h));
            shapes.put(p + "intermediate.dense.bias", new Shape(c.intermediateSize()));
            shapes.put(p + "output.dense.weight", new Shape(h, c.intermediateSize()));
            shapes.put(p + "output.dense.bias", new Shape(h));
            shapes.put(p + "output.LayerNorm.weight", new Shape(h));
            shapes.put(p + "output.LayerNorm.bias", new Shape(h));
        }
        return shapes;
    }

    /** Seeded values for every shape: layer-norm gains near 1, everything else small. */
    public static Map<String, float[]> randomWeights(Map<String, Shape> shapes, long seed) {
        Random random = new Random(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> entry : shapes.entrySet()) {
            float[] v = new float[(int) entry.getValue().size()];
            boolean gain = entry.getKey().contains("LayerNorm.weight");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (gain ? 1 + 0.1 * random.nextGaussian() : 0.3 * random.nextGaussian());
            }
            values.put(entry.getKey(), v);
        }
        return values;
    }

    /** The values as they read back after storing them as {@code dtype}. */
    public static Map<String, float[]> roundTrip(Map<String, float[]> values, TensorDType dtype) {
        Map<String, float[]> stored = new LinkedHashMap<>();
        values.forEach((name, v) -> {
            float[] r = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                r[i] = switch (dtype) {
                    case F16 -> FloatEncodings.halfToFloat(FloatEncodings.floatToHalf(v[i]));
                    case BF16 -> FloatEncodings.bfloat16ToFloat(FloatEncodings.floatToBfloat16(v[i]));
                    default -> v[i];
                };
            }
            stored.put(name, r);
        });
        return stored;
    }

    /**
     * Writes config.json and the weights as one file or {@code shards} files with an index.
     *
     * @param keyPrefix put before every key, such as {@code "bert."}, or ""
     */
    public static void write(Path dir, BertConfig config, Map<String, Shape> shapes, Map<String, float[]> values,
            TensorDType dtype, int shards, String keyPrefix) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toJson());
        List<String> names = new ArrayList<>(shapes.keySet());
        if (shards <= 1) {
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            names.forEach(n -> writer.addFloats(keyPrefix + n, shapes.get(n), values.get(n), dtype));
            writer.write(dir.resolve("model.safetensors"));
            return;
        }
        StringBuilder weightMap = new StringBuilder();
        int per = (names.size() + shards - 1) / shards;
        for (int s = 0; s < shards; s++) {
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            for (String n : names.subList(s * per, Math.min(names.size(), (s + 1) * per))) {
                writer.addFloats(keyPrefix + n, shapes.get(n), values.get(n), dtype);
                weightMap.append(weightMap.length() == 0 ? "" : ",\n    ")
                        .append('"').append(keyPrefix).append(n).append("\": \"").append(file).append('"');
            }
            writer.write(dir.resolve(file));
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\n  \"metadata\": {\"total_size\": 0},\n  \"weight_map\": {\n    " + weightMap + "\n  }\n}\n");
    }

    /** A padded batch of three sequences of lengths 7, 4 and 2, padded with the config's pad id. */
    public static long[][][] paddedBatch(BertConfig config, long seed) {
        Random random = new Random(seed);
        int[] lengths = {7, 4, 2};
        long[][] ids = new long[3][7];
        long[][] mask = new long[3][7];
        long[][] types = new long[3][7];
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 7; t++) {
                boolean token = t < lengths[b];
                ids[b][t] = token ? 2 + random.nextInt(config.vocabSize() - 2) : config.padTokenId();
                mask[b][t] = token ? 1 : 0;
                types[b][t] = token && config.typeVocabSize() > 1 && t >= lengths[b] / 2 ? 1 : 0;
            }
        }
        return new long[][][] {ids, mask, types};
    }
}
