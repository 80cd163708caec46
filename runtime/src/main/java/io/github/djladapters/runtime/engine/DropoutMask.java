package io.github.djladapters.runtime.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Inverted dropout in training, {@code x * keep / (1 - p)} with {@code keep ~ Bernoulli(1 - p)} per
 * element, whose mask is drawn in Java instead of by libtorch's {@code bernoulli_}.
 *
 * <p>Why: on the CPU, libtorch draws a Bernoulli mask serially, element by element, from its Mersenne
 * twister (two 32-bit draws and a double comparison per element): about 10 ns per element, 16 ms for
 * the attention weights of one all-MiniLM-L6-v2 layer at batch 8 x 128, the largest single cost of a
 * LoRA training step after the matrix products, and one that a second thread does not share. Here the
 * mask is one comparison of a 32-bit word from {@link SplittableRandom} per element, in chunks of
 * {@value #CHUNK} elements that each have their own generator, so that the chunks can run in parallel
 * and the mask does not depend on how many threads drew it.
 *
 * <p>The same math as PyTorch's dropout: kept elements are {@code x * (1 / (1 - p))} (the same float
 * factor), dropped ones 0, the gradient is the incoming gradient through the same mask and factor;
 * {@code P(keep)} is {@code 1 - p} to within 2^-32 (libtorch's own draw rounds it to a double). The
 * mask is a different random stream from {@code torch.dropout}'s, but it is reproducible from the
 * engine's seed ({@code Engine.setRandomSeed}): each call seeds its generators with one number drawn
 * from libtorch's generator. As in PyTorch, autograd keeps the scaled mask ({@code keep / (1 - p)} in
 * {@code x}'s type) for the backward pass. For float32 arrays the chunks write that scaled
 * mask straight into a tensor libtorch allocated; other types get a boolean mask that libtorch converts.
 *
 * <p>On for CPU arrays by default; the system property {@value #PROPERTY}{@code =false} (read once)
 * or {@link #setEnabled(boolean)} makes {@link #apply} call DJL's {@code Dropout.dropout} (libtorch's
 * {@code dropout}) instead, as do arrays on other devices.
 *
 * <pre>{@code
 * NDArray dropped = training ? DropoutMask.apply(projected, 0.1f) : projected;
 * }</pre>
 */
public final class DropoutMask {

    /** The system property that, set to {@code false}, keeps libtorch's own dropout. */
    public static final String PROPERTY = "djladapters.dropout.javaMask";

    /** The class of DJL's PyTorch arrays (not on this module's compile class path). */
    private static final String PYTORCH_ARRAY = "ai.djl.pytorch.engine.PtNDArray";

    /** Elements per chunk; each chunk draws from its own generator. */
    static final int CHUNK = 1 << 16;

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    /** Each thread's staging buffer for masks, as large as the largest mask it drew (one per thread, not per size). */
    private static final ThreadLocal<ByteBuffer> STAGING = new ThreadLocal<>();
    private static volatile boolean enabled = !"false".equals(System.getProperty(PROPERTY));
    private static volatile boolean floatMaskInPlace = true;
    /** This thread's row window ({@link #forRows}), or null for whole arrays. */
    private static final ThreadLocal<RowWindow> ROWS = new ThreadLocal<>();

    private DropoutMask() {}

    /**
     * Whether {@link #apply} draws its masks in Java.
     *
     * @return the switch
     */
    public static boolean enabled() {
        return enabled;
    }

    /**
     * Switches the Java-drawn masks on or off for the whole process, for tests and A/B measurements.
     *
     * @param on true for masks drawn here, false for libtorch's {@code dropout}
     */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /**
     * Whether float32 masks are written straight into an array libtorch allocated (the default) or drawn as a
     * boolean mask, copied, converted and scaled by libtorch, as before; the values are the same either way.
     * For A/B measurements.
     *
     * @param inPlace true for the single-pass float mask
     */
    public static void setFloatMaskInPlace(boolean inPlace) {
        floatMaskInPlace = inPlace;
    }

    /**
     * Whether {@link #apply} draws the mask of {@code x} here: the switch is on and {@code x} is on the CPU.
     *
     * @param x the array dropout would apply to
     * @return true when the mask is drawn in Java
     */
    public static boolean drawsFor(NDArray x) {
        return enabled && Device.Type.CPU.equals(x.getDevice().getDeviceType()) && x.getShape().size() <= Integer.MAX_VALUE;
    }

    /**
     * Inverted dropout with probability {@code p}, as in training.
     *
     * @param x the input, any shape
     * @param p the probability of dropping an element, in [0, 1)
     * @return {@code x * keep / (1 - p)}, owned by the manager of {@code x}; {@code x} itself when
     *     {@code p} is 0
     * @throws IllegalArgumentException when {@code p} is outside [0, 1)
     */
    public static NDArray apply(NDArray x, float p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (p == 0) {
            return x;
        }
        if (!drawsFor(x)) {
            return Dropout.dropout(x, p, true).head();
        }
        NDManager manager = x.getManager();
        RowWindow window = ROWS.get();
        if (window != null) {
            return x.mul(window.mask(x, p));
        }
        long seed = drawSeed(manager);
        NDArray noise;
        if (writesInPlace(x)) {
            noise = scaledMask(manager, x.getShape(), p, seed);
        } else {
            // the mask as x's type, scaled: a product of two arrays of one type runs vectorised (a float times a
            // boolean array is converted element by element, in the forward and again in the backward)
            try (NDArray keep = mask(manager, x.getShape(), p, seed);
                    NDArray factor = manager.full(new Shape(), 1f / (1f - p), x.getDataType(), x.getDevice())) {
                noise = keep.toType(x.getDataType(), false).muli(factor);
            }
        }
        return x.mul(noise);
    }

    /**
     * Makes {@link #apply} on this thread draw, for arrays of {@code rows} rows (their first axis, or a
     * batch-major flattening of it), the rows {@code [firstRow, firstRow + rows)} of the masks that a batch of
     * {@code batchRows} rows would get, with the seeds of {@code seeds}: the k-th call after this one uses
     * the k-th seed, as the k-th call over the whole batch would. Several threads running the same forward
     * pass over disjoint row groups thereby draw exactly the masks of one pass over the whole batch, whatever
     * the split. Until the returned handle is closed; windows do not nest.
     *
     * <pre>{@code
     * DropoutMask.Seeds seeds = new DropoutMask.Seeds(); // shared by the groups of one step
     * try (DropoutMask.Window rows = DropoutMask.forRows(seeds, 4, 4, 8)) {
     *     NDArray out = model.forward(ps, secondHalf, true).head();
     * }
     * }</pre>
     *
     * @param seeds the seeds of the whole batch's masks, in call order, shared by the row groups
     * @param firstRow the first row of this thread's group in the batch
     * @param rows the rows of this thread's group, at least 1
     * @param batchRows the rows of the whole batch
     * @return the handle that ends the window on this thread
     * @throws IllegalArgumentException when the rows do not lie inside the batch
     * @throws IllegalStateException when this thread already has a window
     */
    public static Window forRows(Seeds seeds, int firstRow, int rows, int batchRows) {
        if (rows < 1 || firstRow < 0 || firstRow + (long) rows > batchRows) {
            throw new IllegalArgumentException("dropout rows [" + firstRow + ", " + (firstRow + (long) rows)
                    + ") must be a non-empty range inside the batch's " + batchRows + " rows");
        }
        if (ROWS.get() != null) {
            throw new IllegalStateException("this thread already draws dropout masks for a row window");
        }
        ROWS.set(new RowWindow(seeds, firstRow, rows, batchRows));
        return ROWS::remove;
    }

    /** The handle of {@link #forRows}; closing it ends the row window on this thread. */
    @FunctionalInterface
    public interface Window extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * The seeds of one pass's masks in call order, drawn from libtorch's generator on first use, one
     * per mask, as {@link #apply} draws them over a whole batch: the k-th seed is the one the k-th call of
     * a one-group pass would draw, and after a pass the generator has advanced by as many draws. Shared by
     * the row groups of one pass (thread-safe); one instance per pass.
     */
    public static final class Seeds {
        private final List<Long> drawn = new ArrayList<>();

        /**
         * The seed of the {@code index}-th mask, drawing the ones before it first.
         *
         * @param index the mask's place in call order, from 0
         * @param manager a manager to draw with (the draw's array is closed at once)
         * @return the seed
         */
        public synchronized long get(int index, NDManager manager) {
            while (drawn.size() <= index) {
                drawn.add(drawSeed(manager));
            }
            return drawn.get(index);
        }

        /**
         * The seeds drawn so far.
         *
         * @return their number
         */
        public synchronized int count() {
            return drawn.size();
        }
    }

    /** One thread's row group: its place in the batch and the number of masks it has drawn. */
    private static final class RowWindow {
        private final Seeds seeds;
        private final int firstRow;
        private final int rows;
        private final int batchRows;
        private int calls;

        RowWindow(Seeds seeds, int firstRow, int rows, int batchRows) {
            this.seeds = seeds;
            this.firstRow = firstRow;
            this.rows = rows;
            this.batchRows = batchRows;
        }

        /** The scaled keep mask of {@code x}'s rows, as {@link #apply} would draw it over the whole batch. */
        NDArray mask(NDArray x, float p) {
            if (!drawsFor(x)) {
                throw new IllegalStateException("dropout over a row window needs masks drawn in Java (CPU, "
                        + PROPERTY + " on); got an array on " + x.getDevice());
            }
            long n = x.getShape().size();
            if (n % rows != 0 || x.getShape().dimension() == 0 || x.getShape().get(0) % rows != 0) {
                throw new IllegalStateException("dropout over a row window of " + rows + " rows needs the rows on "
                        + "the first axis, got shape " + x.getShape());
            }
            long perRow = n / rows;
            long offset = firstRow * perRow;
            long total = perRow * batchRows;
            if (total > Integer.MAX_VALUE) {
                throw new IllegalStateException("dropout mask of " + total + " elements over the whole batch is too large");
            }
            NDManager manager = x.getManager();
            long seed = seeds.get(calls++, manager);
            long threshold = threshold(p);
            long factor = factorBits(p);
            int count = (int) n;
            NDArray keep = manager.create(new Shape(count), DataType.FLOAT32);
            ByteBuffer floats = floatsOf(keep, count);
            for (int chunk = (int) (offset / CHUNK); (long) chunk * CHUNK < offset + count; chunk++) {
                fillWindow(floats, chunk, offset, count, seed, threshold, factor);
            }
            try (NDArray flat = keep) {
                NDArray shaped = flat.reshape(x.getShape());
                return x.getDataType() == DataType.FLOAT32 ? shaped : shaped.toType(x.getDataType(), false);
            }
        }
    }

    /**
     * The elements {@code [offset, offset + count)} of a whole mask that fall into {@code chunk}, with the
     * element-to-draw mapping of {@link #fillScaled} (element {@code l} of a chunk takes the low half of the
     * chunk generator's word {@code l / 2} when {@code l} is even, the high half when odd), written as floats
     * at their place minus {@code offset}.
     */
    private static void fillWindow(ByteBuffer floats, int chunk, long offset, int count, long seed, long threshold,
            long factor) {
        long chunkStart = (long) chunk * CHUNK;
        long start = Math.max(chunkStart, offset);
        long end = Math.min(chunkStart + CHUNK, offset + count);
        SplittableRandom random = chunkGenerator(seed, chunk);
        long local = start - chunkStart;
        for (long skipped = 0; skipped < local / 2; skipped++) {
            random.nextLong();
        }
        long word = 0;
        for (long i = start; i < end; i++, local++) {
            if ((local & 1) == 0 || i == start) {
                word = random.nextLong();
            }
            long bits = (local & 1) == 0 ? word & 0xFFFFFFFFL : word >>> 32;
            floats.putInt(4 * (int) (i - offset), (int) (factor & -keep(bits, threshold)));
        }
    }

    /**
     * Whether the scaled mask of {@code x} can be written straight into an array libtorch allocated: a
     * non-empty float32 array of DJL's PyTorch engine, whose {@code toByteBuffer(true)} is a view of the
     * tensor's memory (an empty tensor has no memory to view).
     */
    private static boolean writesInPlace(NDArray x) {
        return floatMaskInPlace && x.getDataType() == DataType.FLOAT32 && x.getShape().size() > 0
                && PYTORCH_ARRAY.equals(x.getClass().getName());
    }

    /**
     * The scaled keep mask of {@link #apply} for float32: {@code 1 / (1 - p)} where {@link #mask} is true
     * and 0 where it is false (the same elements, the same float factor), written by the chunks' generators
     * straight into a float32 array that libtorch allocated. One pass instead of four (the boolean mask's
     * copy, its conversion to float, which libtorch 2.7.1 does element by element, and the scaling).
     *
     * @param manager the manager of the mask, a PyTorch engine's
     * @param shape its shape
     * @param p the probability of 0
     * @param seed the seed of its chunks' generators
     * @return a float32 array of {@code shape}
     */
    static NDArray scaledMask(NDManager manager, Shape shape, float p, long seed) {
        int n = Math.toIntExact(shape.size());
        NDArray noise = manager.create(shape, DataType.FLOAT32);
        ByteBuffer floats = floatsOf(noise, n);
        long threshold = threshold(p);
        long factor = factorBits(p);
        forEachChunk(n, chunk -> fillScaled(floats, chunk, n, seed, threshold, factor));
        return noise;
    }

    /**
     * The keep mask of {@link #apply}: true with probability {@code 1 - p}, a copy owned by libtorch.
     *
     * @param manager the manager of the mask
     * @param shape its shape
     * @param p the probability of false
     * @param seed the seed of its chunks' generators
     * @return a boolean array of {@code shape}
     */
    static NDArray mask(NDManager manager, Shape shape, float p, long seed) {
        int n = Math.toIntExact(shape.size());
        ByteBuffer bytes = staging(n);
        long threshold = threshold(p);
        forEachChunk(n, chunk -> fill(bytes, chunk, n, seed, threshold));
        // the staging buffer is reused: the array autograd keeps must be libtorch's own copy
        try (NDArray shared = manager.create(bytes, shape, DataType.BOOLEAN)) {
            return shared.duplicate();
        }
    }

    /**
     * A direct, native-order view of the {@code n} floats of a new float32 array, for the chunks to write
     * the mask into; closes the array and throws when libtorch's memory cannot be viewed so.
     */
    private static ByteBuffer floatsOf(NDArray array, int n) {
        ByteBuffer floats = array.toByteBuffer(true).order(ByteOrder.nativeOrder());
        if (!floats.isDirect() || floats.capacity() != 4L * n) {
            array.close();
            throw new IllegalStateException("expected a direct view of the " + n + " floats of a new array, got "
                    + floats);
        }
        return floats;
    }

    /** The bits of the float {@code 1 / (1 - p)}, the value of a kept element of a scaled mask. */
    private static long factorBits(float p) {
        return Float.floatToRawIntBits(1f / (1f - p)) & 0xFFFFFFFFL;
    }

    /** Keep when the unsigned 32-bit word is below {@code (1 - p) 2^32}. */
    private static long threshold(float p) {
        return Math.round((1.0 - p) * 4294967296.0);
    }

    /** Runs {@code fill} for every chunk of {@code n} elements, in parallel when PyTorch has more than one thread. */
    private static void forEachChunk(int n, IntConsumer fill) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        IntStream range = IntStream.range(0, chunks);
        (chunks > 1 && torchThreads() > 1 ? range.parallel() : range).forEach(fill);
    }

    /** The thread's staging buffer cut to {@code n} bytes, grown when a larger mask comes. */
    private static ByteBuffer staging(int n) {
        ByteBuffer buffer = STAGING.get();
        if (buffer == null || buffer.capacity() < n) {
            buffer = ByteBuffer.allocateDirect(n);
            STAGING.set(buffer);
        }
        return buffer.slice(0, n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The generator of one chunk: seeded with a mixed {@code seed + chunk * golden gamma}, so that chunks
     * draw unrelated streams. (Seeded with the sum itself, each chunk's stream would be the previous
     * chunk's shifted by one word, since that is how {@link SplittableRandom} advances.)
     */
    static SplittableRandom chunkGenerator(long seed, int chunk) {
        return new SplittableRandom(mix64(seed + chunk * GOLDEN_GAMMA));
    }

    /** Stafford's variant 13 of the 64-bit finaliser, the mix {@link SplittableRandom} applies to its outputs. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static void fill(ByteBuffer bytes, int chunk, int n, long seed, long threshold) {
        SplittableRandom random = chunkGenerator(seed, chunk);
        int start = chunk * CHUNK;
        int end = Math.min(n, start + CHUNK);
        int i = start;
        // eight mask bytes per write, branch-free: a byte-wise put checks its index and the buffer's scope
        // for every element, and a comparison branch mispredicts on every p-th element
        for (; i + 8 <= end; i += 8) {
            long packed = 0;
            for (int b = 0; b < 64; b += 16) {
                long word = random.nextLong();
                packed |= keep(word & 0xFFFFFFFFL, threshold) << b | keep(word >>> 32, threshold) << (b + 8);
            }
            bytes.putLong(i, packed); // little-endian: element i is the lowest byte
        }
        for (; i + 1 < end; i += 2) {
            long word = random.nextLong();
            bytes.put(i, (byte) keep(word & 0xFFFFFFFFL, threshold));
            bytes.put(i + 1, (byte) keep(word >>> 32, threshold));
        }
        if (i < end) {
            bytes.put(i, (byte) keep(random.nextLong() & 0xFFFFFFFFL, threshold));
        }
    }

    /**
     * {@link #fill}'s chunk as floats: {@code factor}'s bits where it writes 1, 0 where it writes 0, two
     * elements per word and per write.
     */
    private static void fillScaled(ByteBuffer floats, int chunk, int n, long seed, long threshold, long factor) {
        SplittableRandom random = chunkGenerator(seed, chunk);
        boolean lowFirst = floats.order() == ByteOrder.LITTLE_ENDIAN;
        int start = chunk * CHUNK;
        int end = Math.min(n, start + CHUNK);
        int i = start;
        for (; i + 1 < end; i += 2) {
            long word = random.nextLong();
            // -keep is all ones or zero: the factor's bits or +0f, without a branch
            long first = factor & -keep(word & 0xFFFFFFFFL, threshold);
            long second = factor & -keep(word >>> 32, threshold);
            floats.putLong(4 * i, lowFirst ? second << 32 | first : first << 32 | second);
        }
        if (i < end) {
            floats.putInt(4 * i, (int) (factor & -keep(random.nextLong() & 0xFFFFFFFFL, threshold)));
        }
    }

    /** 1 when the unsigned 32-bit {@code word} is below {@code threshold} (at most 2^32), else 0. */
    private static long keep(long word, long threshold) {
        return (word - threshold) >>> 63;
    }

    /** One number from libtorch's generator, so that the engine's seed fixes every mask. */
    private static long drawSeed(NDManager manager) {
        try (NDArray seed = manager.randomInteger(0, Long.MAX_VALUE, new Shape(1), DataType.INT64)) {
            return seed.getLong();
        }
    }

    /** The intra-op threads asked of DJL's PyTorch engine (its default: one per core). */
    private static int torchThreads() {
        return Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
    }
}
