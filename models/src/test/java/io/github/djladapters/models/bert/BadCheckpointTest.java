package io.github.djladapters.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.djladapters.models.checkpoint.CheckpointDirectory;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import io.github.djladapters.models.checkpoint.CheckpointLoader;
import io.github.djladapters.models.checkpoint.ParameterNames;
import io.github.djladapters.runtime.safetensors.TensorDType;
import io.github.djladapters.runtime.safetensors.TensorSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken checkpoints fail with a message naming file and key, and leave a loaded model as it was. */
class BadCheckpointTest {

    private static final String QUERY = "encoder.layer.0.attention.self.query.weight";

    @TempDir Path temp;

    private NDManager manager;
    private BertModel model;
    private float[] queryBefore;
    private BertConfig config;
    private Map<String, Shape> shapes;
    private Map<String, float[]> values;

    @BeforeEach
    void loadAGoodCheckpoint() throws IOException {
        config = TinyCheckpoints.tinyBert();
        shapes = TinyCheckpoints.shapes(config);
        values = TinyCheckpoints.randomWeights(shapes, 5);
        Path good = temp.resolve("good");
        TinyCheckpoints.write(good, config, shapes, values, TensorDType.F32, 1, "");
        manager = NDManager.newBaseManager();
        model = BertModels.fromCheckpoint(good, manager);
        queryBefore = query();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void truncatedFileIsRejectedNamingTheFileAndTensor() throws IOException {
        Path dir = writeVariant("truncated", shapes, values);
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));
        String message = assertLoadFails(dir);
        assertTrue(message.contains("model.safetensors") && message.contains("outside the data area"), message);
        assertTrue(message.contains("tensor 'encoder.layer.1.output.LayerNorm.weight'"), message);
    }

    @Test
    void headerLengthLongerThanTheFileIsRejected() throws IOException {
        Path dir = temp.resolve("long-header");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toJson());
        ByteBuffer bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1_000_000).put(new byte[8]);
        Files.write(dir.resolve("model.safetensors"), bytes.array());
        String message = assertLoadFails(dir);
        assertTrue(message.contains("header length 1000000 does not fit in the file of 16 bytes"), message);
    }

    @Test
    void overlappingOffsetsAreRejectedNamingBothTensors() throws IOException {
        Path dir = rawFile("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16);
        String message = assertLoadFails(dir);
        assertTrue(message.contains("tensor 'b'") && message.contains("overlaps tensor 'a'"), message);
    }

    @Test
    void unknownDtypeIsRejectedNamingTheTensor() throws IOException {
        Path dir = rawFile("dtype", "{\"a\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        String message = assertLoadFails(dir);
        assertTrue(message.contains("tensor 'a'") && message.contains("unknown dtype 'F12'"), message);
    }

    @Test
    void wrongShapeIsRejectedWithExpectedAndFoundShapes() throws IOException {
        Map<String, Shape> wrong = new LinkedHashMap<>(shapes);
        wrong.put(QUERY, new Shape(16, 8));
        Map<String, float[]> wrongValues = new LinkedHashMap<>(values);
        wrongValues.put(QUERY, new float[128]);
        String message = assertLoadFails(writeVariant("shape", wrong, wrongValues));
        assertTrue(message.contains("shape mismatch for key '" + QUERY + "' in model.safetensors: expected (16, 16),"
                + " found (16, 8)"), message);
    }

    @Test
    void missingKeyIsRejectedByName() throws IOException {
        Map<String, Shape> fewer = new LinkedHashMap<>(shapes);
        fewer.remove("encoder.layer.1.output.dense.bias");
        String message = assertLoadFails(writeVariant("missing", fewer, values));
        assertTrue(message.contains("missing key 'encoder.layer.1.output.dense.bias'"), message);
        assertTrue(message.contains("nothing was loaded"), message);
    }

    private String assertLoadFails(Path dir) {
        CheckpointException error = assertThrows(CheckpointException.class, () -> {
            try (TensorSource weights = CheckpointDirectory.open(dir)) {
                new CheckpointLoader().load(model, weights);
            }
        });
        assertArrayEquals(queryBefore, query(), "the model must be unchanged");
        return error.getMessage();
    }

    private Path writeVariant(String name, Map<String, Shape> s, Map<String, float[]> v) throws IOException {
        Path dir = temp.resolve(name);
        Map<String, float[]> scaled = new LinkedHashMap<>();
        v.forEach((k, a) -> {
            float[] copy = a.clone();
            for (int i = 0; i < copy.length; i++) {
                copy[i] *= 2; // so a partial load would show
            }
            scaled.put(k, copy);
        });
        TinyCheckpoints.write(dir, config, s, scaled, TensorDType.F32, 1, "");
        return dir;
    }

    private Path rawFile(String name, String header, int dataBytes) throws IOException {
        Path dir = temp.resolve(name);
        Files.createDirectories(dir);
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(json.length).put(json);
        Files.write(dir.resolve("model.safetensors"), bytes.array());
        return dir;
    }

    private float[] query() {
        return ParameterNames.of(model).get(QUERY).getArray().toFloatArray();
    }
}
