package io.github.djladapters.runtime.bindings;

/**
 * How the output of a fused query/key/value projection splits along its last axis, in the order
 * {@code [q | k | v]}.
 *
 * @param qSize output features of the query, or -1 for equal thirds
 * @param kSize output features of the key, or -1 for equal thirds
 * @param vSize output features of the value, or -1 for equal thirds
 */
public record QkvSplit(int qSize, int kSize, int vSize) {

    /** Equal thirds, the default of {@code @QKVProj}. */
    public static final QkvSplit EQUAL_THIRDS = new QkvSplit(-1, -1, -1);

    /**
     * Checks that the sizes are either all -1 or all positive.
     *
     * @throws IllegalArgumentException otherwise
     */
    public QkvSplit {
        boolean thirds = qSize == -1 && kSize == -1 && vSize == -1;
        if (!thirds && (qSize <= 0 || kSize <= 0 || vSize <= 0)) {
            throw new IllegalArgumentException(
                    "qkv split needs all three sizes positive, or none (equal thirds); got q="
                            + qSize + ", k=" + kSize + ", v=" + vSize);
        }
    }

    /**
     * Whether this split is equal thirds.
     *
     * @return true when no explicit sizes were given
     */
    public boolean isEqualThirds() {
        return qSize == -1;
    }

    /**
     * The sizes for a fused output with {@code totalOutFeatures} features.
     *
     * @param totalOutFeatures the fused projection's output size
     * @return {q, k, v} sizes
     * @throws IllegalArgumentException when the sizes do not add up to {@code totalOutFeatures}
     */
    public int[] sizes(long totalOutFeatures) {
        if (isEqualThirds()) {
            if (totalOutFeatures % 3 != 0) {
                throw new IllegalArgumentException("fused qkv output of " + totalOutFeatures
                        + " features does not split into equal thirds; give qSize/kSize/vSize");
            }
            int third = (int) (totalOutFeatures / 3);
            return new int[] {third, third, third};
        }
        if ((long) qSize + kSize + vSize != totalOutFeatures) {
            throw new IllegalArgumentException("qkv split q=" + qSize + " + k=" + kSize + " + v="
                    + vSize + " does not match the fused output of " + totalOutFeatures + " features");
        }
        return new int[] {qSize, kSize, vSize};
    }
}
