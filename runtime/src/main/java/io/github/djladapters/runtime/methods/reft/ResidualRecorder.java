package io.github.djladapters.runtime.methods.reft;

import ai.djl.nn.Block;
import io.github.djladapters.runtime.methods.AdapterActivation;
import io.github.djladapters.runtime.methods.ResidualRecorderLayer;
import io.github.djladapters.runtime.methods.ResidualSlot;

/**
 * The wrapper at a pre-LN layer's {@code @PreFfn} norm that records its input (the residual stream
 * after attention) for the ReFT adapters of that layer.
 */
final class ResidualRecorder extends ResidualRecorderLayer {

    ResidualRecorder(Block base, String modulePath, AdapterActivation activation, ResidualSlot slot) {
        super(base, modulePath, activation, slot, "ReFT adapters");
    }
}
