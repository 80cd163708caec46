package io.github.djladapters.runtime.methods.bottleneck;

import io.github.djladapters.runtime.methods.AdapterWeights;

/** A weightless entry for an adapter at a helper wrapper (residual capture, layer-norm bypass). */
final class Marker extends AdapterWeights {}
