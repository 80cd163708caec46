package io.github.djladapters.models.checkpoint;

import io.github.djladapters.runtime.files.SmallFiles;
import io.github.djladapters.runtime.safetensors.SafetensorsFile;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint split over several safetensors files by a {@code model.safetensors.index.json}
 * ({@code {"metadata": {...}, "weight_map": {"key": "model-00001-of-00002.safetensors"}}}). Every
 * shard is opened and validated up front, and every key of the weight map must be in the shard it
 * names.
 */
public final class ShardedSafetensors extends IndexedTensorSource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> owner;

    private ShardedSafetensors(Path index, List<SafetensorsFile> shards, Map<String, SafetensorsFile> owner,
            Map<String, TensorInfo> tensors) {
        super(index.toString(), tensors);
        this.shards = shards;
        this.owner = owner;
    }

    /**
     * Opens an index file and all the shards it names.
     *
     * @param index the path of {@code model.safetensors.index.json}
     * @return the sharded checkpoint; close it to close every shard
     * @throws CheckpointException naming the index or shard and the key that is wrong
     * @throws IOException when a file cannot be read
     */
    public static ShardedSafetensors open(Path index) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(SmallFiles.read(index));
        } catch (IOException e) {
            throw new CheckpointException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new CheckpointException(index + ": no \"weight_map\" object");
        }
        Path dir = index.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> byFile = new LinkedHashMap<>();
        Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String key = entry.getKey();
                String fileName = entry.getValue().asText();
                Path shardPath = dir.resolve(fileName).normalize();
                if (!entry.getValue().isTextual() || !shardPath.getParent().equals(dir.normalize())) {
                    throw new CheckpointException(index + ": key '" + key + "' names shard '" + fileName
                            + "', which is not a file beside the index");
                }
                if (!byFile.containsKey(fileName)) {
                    if (!Files.isRegularFile(shardPath)) {
                        throw new CheckpointException(index + ": key '" + key + "' names shard '" + fileName
                                + "', which does not exist");
                    }
                    if (!shardPath.toRealPath().getParent().equals(dir.toRealPath())) {
                        throw new CheckpointException(index + ": shard '" + fileName + "' is a link to "
                                + shardPath.toRealPath() + ", outside the checkpoint folder; copy the file instead");
                    }
                    byFile.put(fileName, SafetensorsFile.open(shardPath));
                }
                SafetensorsFile shard = byFile.get(fileName);
                TensorInfo info = shard.tensors().get(key);
                if (info == null) {
                    throw new CheckpointException(index + ": key '" + key + "' is mapped to " + fileName
                            + ", which has no such tensor");
                }
                owner.put(key, shard);
                tensors.put(key, info);
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile shard : byFile.values()) {
                shard.close();
            }
            throw e;
        }
        return new ShardedSafetensors(index, new ArrayList<>(byFile.values()), owner,
                Collections.unmodifiableMap(tensors));
    }

    @Override
    protected ByteBuffer read(String name, TensorInfo info) throws IOException {
        return owner.get(name).readFloat32(name);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile shard : shards) {
            try {
                shard.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
