package io.github.djladapters.runtime.methods.bottleneck;

import io.github.djladapters.runtime.methods.AdapterConfig;
import io.github.djladapters.runtime.methods.MethodArguments;
import io.github.djladapters.runtime.methods.MethodCommandLine;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code train --method seq_bn | double_seq_bn | par_bn | adapter_plus | seq_bn_inv | double_seq_bn_inv}
 * (the Adapters library's config strings; {@code pfeiffer}, {@code houlsby}, {@code pfeiffer+inv} and
 * {@code houlsby+inv} as aliases), with {@code --dropout} and {@code --method-option} for
 * {@code reduction_factor}, {@code non_linearity}, {@code init_weights}, {@code scaling},
 * {@code leave_out}, {@code inv_adapter} and {@code inv_adapter_reduction_factor}.
 */
final class BottleneckCommandLine implements MethodCommandLine {

    private static final String REDUCTION = "reduction_factor";
    private static final String NON_LINEARITY = "non_linearity";
    private static final String INIT = "init_weights";
    private static final String SCALING = "scaling";
    private static final String LEAVE_OUT = "leave_out";
    private static final String INV = "inv_adapter";
    private static final String INV_REDUCTION = "inv_adapter_reduction_factor";

    @Override
    public Map<String, String> methods() {
        Map<String, String> methods = new LinkedHashMap<>();
        methods.put("seq_bn", "Bottleneck adapter after each feed-forward block (Pfeiffer; SeqBnConfig).");
        methods.put("pfeiffer", "The same as seq_bn.");
        methods.put("double_seq_bn", "Bottleneck adapters after attention and feed-forward (Houlsby).");
        methods.put("houlsby", "The same as double_seq_bn.");
        methods.put("par_bn", "Parallel bottleneck adapter on the feed-forward block (ParBnConfig).");
        methods.put("adapter_plus", "AdapterPlus (AdapterPlusConfig).");
        methods.put("seq_bn_inv", "seq_bn with a NICE invertible adapter on the embeddings (SeqBnInvConfig).");
        methods.put("pfeiffer+inv", "The same as seq_bn_inv.");
        methods.put("double_seq_bn_inv", "double_seq_bn with a NICE invertible adapter (DoubleSeqBnInvConfig).");
        methods.put("houlsby+inv", "The same as double_seq_bn_inv.");
        return methods;
    }

    @Override
    public Map<String, String> options() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put(MethodArguments.DROPOUT, "dropout on the adapter output (default 0)");
        options.put(REDUCTION, "hidden size / bottleneck width (preset default)");
        options.put(NON_LINEARITY, "relu, swish, gelu, gelu_new, tanh, ...");
        options.put(INIT, "bert, mam_adapter or houlsby");
        options.put(SCALING, "a number, learned or channel");
        options.put(LEAVE_OUT, "comma-separated layer indices without adapters");
        options.put(INV, "nice: an invertible adapter on the embeddings (preset default)");
        options.put(INV_REDUCTION, "the invertible adapter's reduction factor (default 2)");
        return options;
    }

    @Override
    public AdapterConfig config(String method, MethodArguments arguments) {
        arguments.requireOnly(method, Set.copyOf(options().keySet()));
        BnConfig.Builder builder = switch (method) {
            case "double_seq_bn", "houlsby" -> DoubleSeqBnConfig.builder();
            case "par_bn" -> ParBnConfig.builder();
            case "adapter_plus" -> AdapterPlusConfig.builder();
            case "seq_bn_inv", "pfeiffer+inv" -> SeqBnInvConfig.builder();
            case "double_seq_bn_inv", "houlsby+inv" -> DoubleSeqBnInvConfig.builder();
            default -> SeqBnConfig.builder();
        };
        if (arguments.text(MethodArguments.DROPOUT) != null) {
            builder.dropout(arguments.decimal(MethodArguments.DROPOUT, 0));
        }
        if (arguments.text(REDUCTION) != null) {
            builder.reductionFactor(arguments.decimal(REDUCTION, 16));
        }
        if (arguments.text(NON_LINEARITY) != null) {
            builder.nonLinearity(arguments.text(NON_LINEARITY));
        }
        if (arguments.text(INIT) != null) {
            builder.initWeights(arguments.text(INIT));
        }
        String scaling = arguments.text(SCALING);
        if (scaling != null) {
            builder.scaling(scaling.equals("learned") ? BnScaling.LEARNED : scaling.equals("channel")
                    ? BnScaling.CHANNEL : BnScaling.of(arguments.decimal(SCALING, 1)));
        }
        if (arguments.text(LEAVE_OUT) != null) {
            builder.leaveOut(arguments.list(LEAVE_OUT, java.util.List.of()).stream().map(Integer::valueOf).toList());
        }
        if (arguments.text(INV) != null) {
            builder.invAdapter(arguments.text(INV));
        }
        if (arguments.text(INV) != null || arguments.text(INV_REDUCTION) != null) {
            builder.invAdapterReductionFactor(arguments.decimal(INV_REDUCTION, 2)); // the presets' value
        }
        return builder.build();
    }
}
