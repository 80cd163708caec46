package io.github.djladapters.runtime.methods.bottleneck;

import ai.djl.nn.Block;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.ResidualRecorderLayer;
import io.github.djladapters.runtime.methods.ResidualSlot;

/**
 * The wrapper at a pre-sub-block hook point ({@code @PreSelfAttention}, {@code @PreFfn}) that records
 * its input, the sub-block's residual, for the bottleneck adapters after that sub-block (the Adapters
 * library's {@code _residual_hook_fn}).
 */
final class ResidualRecorder extends ResidualRecorderLayer {

    ResidualRecorder(Block base, String modulePath, AdapterActivation activation) {
        super(base, modulePath, activation, new ResidualSlot(), "bottleneck adapters");
    }
}
