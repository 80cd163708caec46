package io.github.djladapters.models.checkpoint;

import io.github.djladapters.runtime.engine.ArrayValues;
import io.github.djladapters.runtime.safetensors.TensorInfo;
import io.github.djladapters.runtime.safetensors.TensorSource;
import io.github.djladapters.runtime.safetensors.CheckpointException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Loads checkpoint tensors into an initialised model, all or nothing: every key, type and shape is
 * checked first (names through {@link ParameterNames}), and only when all fit are parameter values
 * replaced, one tensor at a time, so at most one tensor is held besides the model.
 *
 * <p>Strict by default: a parameter the checkpoint lacks, a key that is no parameter, and a NaN or
 * infinite value are errors, all listed in one message before anything is loaded;
 * {@link #allowMissing} and {@link #failOnUnexpected failOnUnexpected(false)} make a lenient load
 * whose {@link LoadReport} lists what was left out.
 *
 * <p>Keys are matched exactly, then with a task model's base prefix removed or added ({@code bert.},
 * {@code roberta.}), then with legacy layer-norm names ({@code gamma}, {@code beta}) renamed.
 *
 * <pre>{@code
 * model.initialize(manager);
 * try (TensorSource weights = CheckpointDirectory.open(dir)) {
 *     LoadReport report = new CheckpointLoader().load(model, weights);
 * }
 * }</pre>
 */
public final class CheckpointLoader {

    private static final int MAX_LISTED = 20;

    private List<String> basePrefixes = List.of("bert", "roberta");
    private Predicate<String> allowMissing = name -> false;
    private boolean failOnUnexpected = true;
    private Predicate<String> ignoreUnexpected = key -> false;

    /**
     * Sets the base-model names a task checkpoint may put before every base key.
     *
     * @param prefixes names without the dot, such as {@code "bert"}
     * @return this loader
     */
    public CheckpointLoader basePrefixes(String... prefixes) {
        basePrefixes = List.of(prefixes);
        return this;
    }

    /**
     * Allows some model parameters to be absent from the checkpoint; they keep their values (for
     * example a new task head).
     *
     * @param allow tested with each missing parameter name
     * @return this loader
     */
    public CheckpointLoader allowMissing(Predicate<String> allow) {
        allowMissing = allow;
        return this;
    }

    /**
     * Whether checkpoint keys that match no parameter fail the load (the default) or are only listed
     * in the report (a lenient load; the caller should show the report).
     *
     * @param fail whether unexpected keys fail the load
     * @return this loader
     */
    public CheckpointLoader failOnUnexpected(boolean fail) {
        failOnUnexpected = fail;
        return this;
    }

    /**
     * Names checkpoint keys that are known to carry nothing the model needs (buffers such as
     * {@code embeddings.position_ids}, tied copies checked elsewhere); they are listed in the report
     * as unexpected but never fail the load.
     *
     * @param ignore tested with each unexpected key
     * @return this loader
     */
    public CheckpointLoader ignoreUnexpected(Predicate<String> ignore) {
        ignoreUnexpected = ignore;
        return this;
    }

    /**
     * Checks every tensor against {@code model} and, when all fit, copies them in.
     *
     * @param model an initialised model (every parameter has its shape and an array)
     * @param source the tensors
     * @return what was loaded and what was left out
     * @throws CheckpointException listing every missing key, unexpected key (when failing on them),
     *     non-float tensor and shape mismatch, with the file; the model is then unchanged
     * @throws IOException when reading data fails after validation
     */
    public LoadReport load(Block model, TensorSource source) throws IOException {
        Map<String, Parameter> parameters = ParameterNames.of(model);
        for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
            if (!entry.getValue().isInitialized()) {
                throw new IllegalStateException("parameter '" + entry.getKey()
                        + "' is not initialised; initialise the model before loading a checkpoint");
            }
        }
        Map<String, String> sourceKeyOf = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        match(parameters.keySet(), source.tensors().keySet(), sourceKeyOf, unexpected);

        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String name : parameters.keySet()) {
            if (!sourceKeyOf.containsKey(name)) {
                if (allowMissing.test(name)) {
                    missing.add(name);
                } else {
                    problems.add("missing key '" + name + "'");
                }
            }
        }
        if (failOnUnexpected) {
            for (String key : unexpected) {
                if (!ignoreUnexpected.test(key)) {
                    problems.add("unexpected key '" + key + "' (no parameter of the model has this name)");
                }
            }
        }
        for (Map.Entry<String, String> pair : sourceKeyOf.entrySet()) {
            TensorInfo info = source.tensors().get(pair.getValue());
            NDArray array = parameters.get(pair.getKey()).getArray();
            Shape expected = array.getShape();
            if (!info.dtype().isFloating()) {
                problems.add("key '" + info.name() + "' in " + info.origin() + " has dtype " + info.dtype()
                        + ", not a float type");
            } else if (info.elementCount() > Integer.MAX_VALUE / 4) {
                problems.add("key '" + info.name() + "' in " + info.origin() + " has " + info.elementCount()
                        + " elements, over the 2 GiB a float32 tensor may take here");
            } else if (info.elementCount() * 4 > Runtime.getRuntime().maxMemory()) {
                problems.add("key '" + info.name() + "' in " + info.origin() + " needs " + info.elementCount() * 4
                        + " bytes of Java buffer while loading, more than the JVM's " + Runtime.getRuntime().maxMemory()
                        + " (raise -Xmx)");
            } else if (!expected.equals(info.shape())) {
                problems.add("shape mismatch for key '" + info.name() + "' in " + info.origin() + ": expected "
                        + expected + ", found " + info.shape());
            } else if (array.getDataType() != DataType.FLOAT32) {
                problems.add("parameter '" + pair.getKey() + "' is " + array.getDataType()
                        + "; only float32 models are loaded");
            }
        }
        if (problems.isEmpty()) {
            for (String key : sourceKeyOf.values()) { // before any value changes: nothing is half-loaded
                String where = FiniteValues.firstNonFinite(source.readFloat32(key));
                if (where != null) {
                    problems.add("key '" + key + "' in " + source.tensors().get(key).origin() + " holds " + where);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(describeFailure(model, source, problems));
        }
        for (Map.Entry<String, String> pair : sourceKeyOf.entrySet()) {
            ByteBuffer values = source.readFloat32(pair.getValue());
            ArrayValues.replace(parameters.get(pair.getKey()).getArray(), values);
        }
        return new LoadReport(new ArrayList<>(sourceKeyOf.keySet()), missing, unexpected);
    }

    private void match(Set<String> modelKeys, Set<String> sourceKeys, Map<String, String> sourceKeyOf,
            List<String> unexpected) {
        List<String> unmatched = new ArrayList<>();
        for (String key : sourceKeys) { // exact names win over aliases
            if (modelKeys.contains(key)) {
                sourceKeyOf.put(key, key);
            } else {
                unmatched.add(key);
            }
        }
        for (String key : unmatched) {
            String target = alias(key, modelKeys);
            if (target == null || sourceKeyOf.containsKey(target)) {
                unexpected.add(key);
            } else {
                sourceKeyOf.put(target, key);
            }
        }
    }

    private String alias(String key, Set<String> modelKeys) {
        for (String candidate : new String[] {key, legacyLayerNormName(key)}) {
            if (modelKeys.contains(candidate)) {
                return candidate;
            }
            for (String prefix : basePrefixes) {
                if (candidate.startsWith(prefix + ".") && modelKeys.contains(candidate.substring(prefix.length() + 1))) {
                    return candidate.substring(prefix.length() + 1);
                }
                if (modelKeys.contains(prefix + "." + candidate)) {
                    return prefix + "." + candidate;
                }
            }
        }
        return null;
    }

    private static String legacyLayerNormName(String key) {
        if (key.endsWith(".gamma")) {
            return key.substring(0, key.length() - "gamma".length()) + "weight";
        }
        if (key.endsWith(".beta")) {
            return key.substring(0, key.length() - "beta".length()) + "bias";
        }
        return key;
    }

    private static String describeFailure(Block model, TensorSource source, List<String> problems) {
        StringBuilder message = new StringBuilder();
        message.append("cannot load ").append(source.describe()).append(" into ")
                .append(model.getClass().getSimpleName()).append(" (nothing was loaded): ")
                .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
        for (int i = 0; i < Math.min(MAX_LISTED, problems.size()); i++) {
            message.append("\n  ").append(problems.get(i));
        }
        if (problems.size() > MAX_LISTED) {
            message.append("\n  ... and ").append(problems.size() - MAX_LISTED).append(" more");
        }
        return message.toString();
    }
}
