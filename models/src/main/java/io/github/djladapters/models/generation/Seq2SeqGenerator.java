package io.github.djladapters.models.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;

/**
 * Generation for a {@link Seq2SeqLanguageModel}: the inputs are encoded once (a batch of different
 * lengths is right-padded with {@link GenerationConfig#padTokenId()} and masked), then every decoder
 * sequence starts from {@link Seq2SeqLanguageModel#decoderStartTokenId()} and grows one token per
 * step, greedy or sampled with the same {@link TokenSampler} and {@link GenerationConfig} as
 * {@link Generator}. With the cache, each step runs only the newest decoder token and the
 * cross-attention keys and values are projected once; without it, each step reruns the whole
 * decoder sequence.
 *
 * <pre>{@code
 * Seq2SeqGenerator generator = new Seq2SeqGenerator(t5);
 * List<int[]> out = generator.generate(manager, List.of(input),
 *         GenerationConfig.greedy(32).withStopTokens(Set.of(1)).withPadTokenId(0));
 * }</pre>
 */
public final class Seq2SeqGenerator {

    private final Seq2SeqLanguageModel model;

    /**
     * A generator for one model.
     *
     * @param model a loaded model
     */
    public Seq2SeqGenerator(Seq2SeqLanguageModel model) {
        this.model = model;
    }

    /**
     * Generates an output for every input, all inputs in one batch.
     *
     * @param manager the manager under which each step's arrays are opened and closed
     * @param inputs encoder token ids, at least one each
     * @param config how tokens are picked and when to stop
     * @return per input, the generated tokens without the decoder start token (up to and including
     *     a stop token)
     */
    public List<int[]> generate(NDManager manager, List<int[]> inputs, GenerationConfig config) {
        if (inputs.isEmpty()) {
            return List.of();
        }
        if (inputs.stream().anyMatch(p -> p.length == 0)) {
            throw new IllegalArgumentException("every input needs at least one token");
        }
        int batch = inputs.size();
        int longest = inputs.stream().mapToInt(p -> p.length).max().orElse(0);
        long[] ids = new long[batch * longest];
        long[] mask = new long[batch * longest];
        Arrays.fill(ids, config.padTokenId());
        for (int b = 0; b < batch; b++) {
            int[] input = inputs.get(b);
            for (int t = 0; t < input.length; t++) {
                ids[b * longest + t] = input[t];
                mask[b * longest + t] = 1;
            }
        }
        int total = 1 + config.maxNewTokens();
        long[] decoded = new long[batch * total];
        for (int b = 0; b < batch; b++) {
            decoded[b * total] = model.decoderStartTokenId();
        }
        GeneratedTokens generated = new GeneratedTokens(batch, config);
        TokenSampler sampler = new TokenSampler(config);
        try (GradientsOff off = GradientsOff.onThisThread();
                NDManager run = manager.newSubManager();
                EncoderDecoderCache cache = config.useCache()
                        ? new EncoderDecoderCache(run, model.numDecoderLayers()) : null) {
            ParameterStore ps = new ParameterStore(run, false);
            Shape inputShape = new Shape(batch, longest);
            NDArray encoderMask = run.create(mask, inputShape);
            NDArray encoded = model.encode(ps, run.create(ids, inputShape), encoderMask);
            int length = 1;
            for (int step = 0; step < config.maxNewTokens(); step++) {
                int from = cache != null ? length - 1 : 0;
                int[] next;
                try (NDManager scope = run.newSubManager()) {
                    NDArray decoderIds = scope.create(Generator.columns(decoded, batch, total, from, length),
                            new Shape(batch, length - from));
                    NDArray logits = model.decoderLogits(ps, decoderIds, encoded, encoderMask, cache, true);
                    next = sampler.next(logits.reshape(batch, logits.getShape().get(2)));
                }
                int[] fed = generated.record(next);
                for (int b = 0; b < batch; b++) {
                    decoded[b * total + length] = fed[b];
                }
                length++;
                if (generated.allFinished()) {
                    break;
                }
            }
        }
        return generated.toArrays();
    }
}
