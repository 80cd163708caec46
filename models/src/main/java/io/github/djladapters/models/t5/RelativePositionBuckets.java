package io.github.djladapters.models.t5;

/**
 * T5's relative position buckets ({@code T5Attention._relative_position_bucket}): the distance
 * {@code key - query} is mapped to one of {@code numBuckets} buckets, exact for small distances and
 * logarithmic up to {@code maxDistance}, beyond which all distances share the last bucket. The
 * encoder is bidirectional (half the buckets for keys after the query); the decoder is
 * unidirectional (keys after the query, which the causal mask hides, all fall in bucket 0).
 *
 * <p>The logarithmic part is computed in float32, as transformers computes it, so that distances on
 * a bucket boundary land where they land there.
 */
public final class RelativePositionBuckets {

    private final boolean bidirectional;
    private final int numBuckets;
    private final int maxDistance;

    /**
     * Buckets of one attention direction.
     *
     * @param bidirectional true for the encoder, false for the decoder's self-attention
     * @param numBuckets {@code relative_attention_num_buckets}
     * @param maxDistance {@code relative_attention_max_distance}
     */
    public RelativePositionBuckets(boolean bidirectional, int numBuckets, int maxDistance) {
        this.bidirectional = bidirectional;
        this.numBuckets = numBuckets;
        this.maxDistance = maxDistance;
    }

    /**
     * The bucket of one relative position.
     *
     * @param relativePosition {@code key position - query position}
     * @return the bucket, in {@code [0, numBuckets)}
     */
    public int bucket(int relativePosition) {
        int buckets = numBuckets;
        int bucket = 0;
        int distance;
        if (bidirectional) {
            buckets /= 2;
            bucket += relativePosition > 0 ? buckets : 0;
            distance = Math.abs(relativePosition);
        } else {
            distance = -Math.min(relativePosition, 0);
        }
        int maxExact = buckets / 2;
        if (distance < maxExact) {
            return bucket + distance;
        }
        float logRatio = (float) Math.log((float) distance / maxExact);
        float scaled = logRatio / (float) Math.log((double) maxDistance / maxExact) * (buckets - maxExact);
        return bucket + Math.min(maxExact + (int) scaled, buckets - 1);
    }

    /**
     * The buckets of every query and key pair, row-major {@code [queryLength, keyLength]}: query
     * {@code i} sits at position {@code offset + i}, key {@code j} at position {@code j}.
     *
     * @param queryLength the number of queries
     * @param keyLength the number of keys
     * @param offset the position of the first query (the number of cached positions)
     * @return the bucket ids
     */
    public long[] table(int queryLength, int keyLength, int offset) {
        long[] table = new long[queryLength * keyLength];
        for (int i = 0; i < queryLength; i++) {
            for (int j = 0; j < keyLength; j++) {
                table[i * keyLength + j] = bucket(j - (offset + i));
            }
        }
        return table;
    }

    /**
     * The largest distance with a bucket of its own; all farther distances share the last bucket.
     *
     * @return {@code relative_attention_max_distance}
     */
    public int maxDistance() {
        return maxDistance;
    }

    /**
     * The bucket of every relative position from {@code -maxDistance} to {@code maxDistance}: entry
     * {@code r + maxDistance} holds the bucket of {@code r}. Positions beyond either end share the
     * end's bucket, so clamping a relative position into that range and looking it up here gives its
     * bucket.
     *
     * @return {@code 2 * maxDistance + 1} bucket ids
     */
    public long[] clampedTable() {
        long[] table = new long[2 * maxDistance + 1];
        for (int r = -maxDistance; r <= maxDistance; r++) {
            table[r + maxDistance] = bucket(r);
        }
        return table;
    }
}
