package io.github.djladapters.models.blocks;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djladapters.runtime.architecture.HookPoint;
import io.github.djladapters.runtime.bindings.ChildReplacement;
import org.junit.jupiter.api.Test;

/** A base reads each part from the child list, so a child swapped in place by adapter bindings is the one it runs. */
class PartsBlockTest {

    enum Part {
        NORM,
        PROJECTION
    }

    /** A block that registers its parts the way the models' layers do. */
    static final class TwoParts extends PartsBlock<Part> {

        Block norm;
        Block projection;

        TwoParts(boolean registerProjection) {
            super(Part.class);
            norm = addPart(Part.NORM, "norm", new HookPoint());
            if (registerProjection) {
                projection = addPart(Part.PROJECTION, "projection", Linear.builder().setUnits(2).build());
            }
        }

        Block current(Part part) {
            return part(part);
        }

        void registerNormAgain() {
            addPart(Part.NORM, "norm_again", new HookPoint());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            return part(Part.NORM).forward(ps, inputs, training, params);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    @Test
    void readsThePartThatReplacedTheRegisteredChild() {
        TwoParts block = new TwoParts(true);
        assertSame(block.projection, block.current(Part.PROJECTION));
        Block wrapper = new HookPoint();
        ChildReplacement.replaceChild(block, block.projection, wrapper);
        block.projection = wrapper;
        assertSame(wrapper, block.current(Part.PROJECTION));
        assertSame(block.norm, block.current(Part.NORM));
    }

    @Test
    void namesAMissingOrRepeatedPart() {
        TwoParts block = new TwoParts(false);
        String missing = assertThrows(IllegalStateException.class, () -> block.current(Part.PROJECTION)).getMessage();
        assertTrue(missing.contains("TwoParts") && missing.contains("PROJECTION"), missing);
        String twice = assertThrows(IllegalStateException.class, block::registerNormAgain).getMessage();
        assertTrue(twice.contains("NORM") && twice.contains("twice"), twice);
    }
}
