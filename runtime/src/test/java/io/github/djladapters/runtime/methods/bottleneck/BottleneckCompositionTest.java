package io.github.djladapters.runtime.methods.bottleneck;

import static io.github.djladapters.runtime.methods.ReferenceWeights.maxDiff;
import static io.github.djladapters.runtime.testmodel.TinyModel.HIDDEN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.djladapters.runtime.AdapterModel;
import io.github.djladapters.runtime.composition.Average;
import io.github.djladapters.runtime.composition.Split;
import io.github.djladapters.runtime.composition.Stack;
import io.github.djladapters.runtime.methods.ReferenceWeights;
import io.github.djladapters.runtime.testmodel.TinyModel;
import io.github.djladapters.runtime.testmodel.TinyReference;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Composition blocks over bottleneck adapters on the tiny pre-LN model, against the Adapters
 * library's formulas in plain Java ({@link BottleneckReference}): {@code Stack} chains the adapters
 * between the first one's {@code pre_forward} and the last one's {@code post_forward},
 * {@code Average} weights the site outputs, {@code Split} takes each range of positions from its adapter.
 */
class BottleneckCompositionTest {

    private static final BnConfig PFEIFFER = SeqBnConfig.builder().reductionFactor(2).build();
    private static final BnConfig HOULSBY = DoubleSeqBnConfig.builder().reductionFactor(4).nonLinearity("swish").build();
    private static final BnConfig PFEIFFER_LN_AFTER = SeqBnConfig.builder().reductionFactor(2).lnAfter(true).build();

    /** Two adapters with random weights; returns the base weights read before any wrapper renamed paths. */
    private static Map<String, float[]> twoAdapters(AdapterModel<TinyModel> peft, NDManager manager, BnConfig first,
            BnConfig second) {
        Map<String, float[]> base = TinyReference.weightsOf(peft.model());
        peft.addAdapter("a", first);
        peft.addAdapter("b", second);
        BottleneckTest.perturb(peft, "a", manager, 3);
        BottleneckTest.perturb(peft, "b", manager, 5);
        return base;
    }

    private static BottleneckReference single(Map<String, float[]> base, AdapterModel<?> peft, String name,
            BnConfig config, NDManager manager) {
        return new BottleneckReference(base, BottleneckTest.adapterValues(peft, name, manager), config,
                config.width(HIDDEN, 0));
    }

    @Test
    void stackOfTwoBottleneckAdaptersChainsThemAsTheLibraryDoes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = BottleneckTest.model(manager);
            Map<String, float[]> base = twoAdapters(peft, manager, HOULSBY, HOULSBY);
            BottleneckReference a = single(base, peft, "a", HOULSBY, manager);
            BottleneckReference b = single(base, peft, "b", HOULSBY, manager);
            BottleneckReference stacked = new BottleneckReference(base, Map.of(), HOULSBY, 0) {
                @Override
                double[][] site(String prefix, double[][] h, double[][] x, UnaryOperator<double[][]> layerNorm) {
                    // compose_stack: pre_block and compose_single for each adapter, on the previous output
                    double[][][] first = a.pre(h, x, layerNorm);
                    double[][] out = a.adapter(prefix, first[0], first[1]);
                    double[][][] second = b.pre(out, x, layerNorm);
                    out = b.adapter(prefix, second[0], second[1]);
                    return b.post(out, x, layerNorm);
                }
            };
            peft.setActiveAdapters(Stack.of("a", "b"));
            float[] chained = ReferenceWeights.run(peft, manager);
            assertArrayEquals(stacked.run(ReferenceWeights.IDS), chained, 2e-5f);

            peft.setActiveAdapters("a");
            float[] aAlone = ReferenceWeights.run(peft, manager);
            assertArrayEquals(a.run(ReferenceWeights.IDS), aAlone, 2e-5f);
            assertTrue(maxDiff(aAlone, chained) > 1e-2, "the second adapter changes the output");
            peft.setActiveAdapters(Stack.of("b", "a"));
            assertTrue(maxDiff(chained, ReferenceWeights.run(peft, manager)) > 1e-3, "the order matters");
            peft.setActiveAdapters("a", "b");
            assertArrayEquals(chained, ReferenceWeights.run(peft, manager), "several names are a Stack");
        }
    }

    @Test
    void stackOfPfeifferAdaptersRunsEachOnesPreForwardOnThePreviousOutput() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = BottleneckTest.model(manager);
            Map<String, float[]> base = twoAdapters(peft, manager, PFEIFFER, PFEIFFER_LN_AFTER);
            BottleneckReference a = single(base, peft, "a", PFEIFFER, manager);
            BottleneckReference b = single(base, peft, "b", PFEIFFER_LN_AFTER, manager);
            BottleneckReference stacked = new BottleneckReference(base, Map.of(), PFEIFFER, 0) {
                @Override
                double[][] site(String prefix, double[][] h, double[][] x, UnaryOperator<double[][]> layerNorm) {
                    double[][][] first = a.pre(h, x, layerNorm); // original_ln_before: h + x
                    double[][] out = a.adapter(prefix, first[0], first[1]);
                    double[][][] second = b.pre(out, x, layerNorm); // out_a + x, residual out_a
                    out = b.adapter(prefix, second[0], second[1]);
                    return b.post(out, x, layerNorm);
                }
            };
            peft.setActiveAdapters(Stack.of("a", "b"));
            assertArrayEquals(stacked.run(ReferenceWeights.IDS), ReferenceWeights.run(peft, manager), 2e-5f);
        }
    }

    @Test
    void averageOfBottleneckAdaptersIsTheWeightedSumOfTheirSiteOutputs() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = BottleneckTest.model(manager);
            Map<String, float[]> base = twoAdapters(peft, manager, PFEIFFER, PFEIFFER);
            BottleneckReference a = single(base, peft, "a", PFEIFFER, manager);
            BottleneckReference b = single(base, peft, "b", PFEIFFER, manager);
            BottleneckReference averaged = new BottleneckReference(base, Map.of(), PFEIFFER, 0) {
                @Override
                double[][] site(String prefix, double[][] h, double[][] x, UnaryOperator<double[][]> layerNorm) {
                    double[][] outA = a.bottleneck(prefix, h, x, layerNorm);
                    double[][] outB = b.bottleneck(prefix, h, x, layerNorm);
                    double[][] out = new double[outA.length][outA[0].length];
                    for (int t = 0; t < out.length; t++) {
                        for (int i = 0; i < out[t].length; i++) {
                            out[t][i] = 0.25 * outA[t][i] + 0.75 * outB[t][i];
                        }
                    }
                    return out;
                }
            };
            peft.setActiveAdapters(Average.of(List.of(1.0, 3.0), "a", "b")); // normalized to 0.25, 0.75
            assertArrayEquals(averaged.run(ReferenceWeights.IDS), ReferenceWeights.run(peft, manager), 2e-5f);
        }
    }

    @Test
    void splitTakesEachRangeOfPositionsFromItsAdapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = BottleneckTest.model(manager);
            Map<String, float[]> base = twoAdapters(peft, manager, PFEIFFER, PFEIFFER);
            BottleneckReference a = single(base, peft, "a", PFEIFFER, manager);
            BottleneckReference b = single(base, peft, "b", PFEIFFER, manager);
            BottleneckReference split = new BottleneckReference(base, Map.of(), PFEIFFER, 0) {
                @Override
                double[][] site(String prefix, double[][] h, double[][] x, UnaryOperator<double[][]> layerNorm) {
                    double[][] outA = a.bottleneck(prefix, h, x, layerNorm);
                    double[][] outB = b.bottleneck(prefix, h, x, layerNorm);
                    double[][] out = new double[outA.length][];
                    for (int t = 0; t < out.length; t++) {
                        out[t] = t < 1 ? outA[t] : outB[t]; // the first position from a, the other three from b
                    }
                    return out;
                }
            };
            peft.setActiveAdapters(Split.of(List.of(1, 3), "a", "b"));
            float[] actual = ReferenceWeights.run(peft, manager);
            assertArrayEquals(split.run(ReferenceWeights.IDS), actual, 2e-5f);

            peft.setActiveAdapters(Split.of(List.of(2, 3), "a", "b"));
            IllegalStateException wrongLength = assertThrows(IllegalStateException.class,
                    () -> ReferenceWeights.run(peft, manager));
            assertTrue(wrongLength.getMessage().contains("sequence of 4"), wrongLength.getMessage());
        }
    }

    @Test
    void stackRefusesAdaptersWhoseResidualsDifferAndKeepsThePreviousSetup() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdapterModel<TinyModel> peft = BottleneckTest.model(manager);
            peft.addAdapter("seq", PFEIFFER);
            peft.addAdapter("par", ParBnConfig.builder().build());
            peft.addAdapter("noLnBefore", SeqBnConfig.builder().reductionFactor(2).originalLnBefore(false).build());
            peft.addAdapter("noLnAfter", SeqBnConfig.builder().reductionFactor(2).originalLnAfter(false).build());
            peft.setActiveAdapters("seq");
            float[] before = ReferenceWeights.run(peft, manager);

            IllegalArgumentException parallel = assertThrows(IllegalArgumentException.class,
                    () -> peft.setActiveAdapters(Stack.of("seq", "par")));
            assertTrue(parallel.getMessage().contains("Stack") && parallel.getMessage().contains("'par'")
                    && parallel.getMessage().contains("is_parallel"), parallel.getMessage());
            IllegalArgumentException after = assertThrows(IllegalArgumentException.class,
                    () -> peft.setActiveAdapters(Stack.of("seq", "noLnAfter")));
            assertTrue(after.getMessage().contains("Stack") && after.getMessage().contains("original_ln_after")
                    && after.getMessage().contains("noLnAfter"), after.getMessage());
            IllegalArgumentException average = assertThrows(IllegalArgumentException.class,
                    () -> peft.setActiveAdapters(Average.of("seq", "noLnBefore")));
            assertTrue(average.getMessage().contains("Average") && average.getMessage().contains("original_ln_before")
                    && average.getMessage().contains("noLnBefore"), average.getMessage());

            assertEquals(List.of("seq"), peft.activeAdapters());
            assertArrayEquals(before, ReferenceWeights.run(peft, manager), "the previous setup is still active");
        }
    }
}
