package io.github.djladapters.processor;

import io.github.djladapters.processor.DeclarationReport.Location;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;

/**
 * The split of a fused {@code @QKVProj}, as written in the annotation: all {@code -1} for equal
 * thirds, or three positive sizes.
 */
record QkvSizes(int q, int k, int v) {

    /** Whether no explicit sizes were given. */
    boolean equalThirds() {
        return q == -1 && k == -1 && v == -1;
    }

    /** Reads the sizes of a {@code @QKVProj} annotation. */
    static QkvSizes of(AnnotationMirror mirror) {
        return new QkvSizes(AnnotationValues.integer(mirror, "qSize", -1), AnnotationValues.integer(mirror, "kSize", -1),
                AnnotationValues.integer(mirror, "vSize", -1));
    }

    /** Reports sizes that are neither all -1 nor all positive, on the first size that is wrong. */
    static void check(AnnotationMirror mirror, Element annotated, DeclarationReport report) {
        QkvSizes sizes = of(mirror);
        if (sizes.equalThirds() || (sizes.q > 0 && sizes.k > 0 && sizes.v > 0)) {
            return;
        }
        AnnotationValue wrong = null;
        for (String member : new String[] {"qSize", "kSize", "vSize"}) {
            AnnotationValue value = AnnotationValues.explicit(mirror, member);
            int size = AnnotationValues.integer(mirror, member, -1);
            if (wrong == null && value != null && size <= 0) {
                wrong = value;
            }
        }
        if (wrong == null) { // some sizes given, the rest left at -1: point at the first one given
            for (String member : new String[] {"qSize", "kSize", "vSize"}) {
                if (wrong == null) {
                    wrong = AnnotationValues.explicit(mirror, member);
                }
            }
        }
        report.error(Message.INVALID_QKV_SPLIT, Location.of(annotated, mirror, wrong), sizes.q, sizes.k, sizes.v);
    }
}
