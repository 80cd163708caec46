package io.github.djladapters.runtime.methods.reft;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.github.djladapters.runtime.methods.AdapterWeights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ReFT adapter at one layer: one unit ({@code tied_weights}) or two (prefix, suffix), each with
 * {@code learned_source} ({@code W [r, hidden]}, {@code b [r]}) and {@code projection} ({@code R [r, hidden]}).
 */
final class ReftWeights extends AdapterWeights {

    /** One unit's parameters. */
    record Unit(Parameter sourceWeight, Parameter sourceBias, Parameter projection) {}

    final ReftConfig config;
    final List<Unit> units = new ArrayList<>();

    ReftWeights(ReftConfig config, List<NDArray[]> values) {
        this.config = config;
        for (int i = 0; i < values.size(); i++) {
            NDArray[] unit = values.get(i);
            units.add(new Unit(newParameter("unit" + i + "_learned_source_weight", unit[0]),
                    newParameter("unit" + i + "_learned_source_bias", unit[1]),
                    newParameter("unit" + i + "_projection_weight", unit[2])));
        }
    }

    /** The Adapters library's suffix of one tensor: {@code units.0.learned_source.weight} and so on. */
    static String suffix(int unit, String tensor) {
        return "units." + unit + "." + tensor;
    }

    /**
     * The parameters under the Adapters library's suffixes, unit by unit.
     *
     * @return suffix to parameter
     */
    Map<String, Parameter> namedParameters() {
        Map<String, Parameter> named = new LinkedHashMap<>();
        for (int i = 0; i < units.size(); i++) {
            Unit unit = units.get(i);
            named.put(suffix(i, "learned_source.weight"), unit.sourceWeight());
            named.put(suffix(i, "learned_source.bias"), unit.sourceBias());
            named.put(suffix(i, "projection.weight"), unit.projection());
        }
        return named;
    }
}
