package io.github.djladapters.serving.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One row's text while it is generated: decodes the tokens so far, cuts the text before the first
 * stop string, and hands out only text that can no longer change (it holds back a tail that could
 * still become a stop string, and an incomplete UTF-8 sequence), so the streamed pieces add up to
 * exactly the final text. Without a sink and without stop strings nothing needs the text before the
 * end: the tokens are decoded once, when generation ends, instead of at every token.
 */
final class StreamedText {

    private final HuggingFaceTokenizer tokenizer;
    private final List<String> stop;
    private final int holdBack;
    private final Consumer<String> sink;
    private final List<Long> tokens = new ArrayList<>();
    private String text = "";
    private int emitted;
    private boolean stopped;
    private boolean endOfSequence;
    private final boolean decodeAtEnd;

    /**
     * A text to generate.
     *
     * @param tokenizer decodes the tokens
     * @param stop strings that end the text
     * @param sink receives the text piece by piece; null when the request does not stream
     */
    StreamedText(HuggingFaceTokenizer tokenizer, List<String> stop, Consumer<String> sink) {
        this.tokenizer = tokenizer;
        this.stop = stop;
        this.holdBack = stop.stream().mapToInt(String::length).max().orElse(1) - 1;
        this.sink = sink == null ? piece -> { } : sink;
        this.decodeAtEnd = sink == null && stop.isEmpty();
    }

    /** Takes the next token; ignored once the text is complete (a stop string or end of sequence). */
    void add(int token, boolean isStopToken) {
        if (stopped || endOfSequence) {
            return;
        }
        tokens.add((long) token);
        if (isStopToken) {
            endOfSequence = true;
        }
        if (decodeAtEnd) {
            return;
        }
        String decoded = decode();
        int cut = -1;
        for (String s : stop) {
            int at = decoded.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            decoded = decoded.substring(0, cut);
            stopped = true;
        }
        text = decoded;
        int safe = stopped || endOfSequence ? text.length() : Math.max(emitted, text.length() - holdBack);
        while (safe > emitted && text.charAt(safe - 1) == '\uFFFD' && !(stopped || endOfSequence)) {
            safe--;
        }
        emit(safe);
    }

    /** Hands out the rest of the text when generation has ended. */
    Completion finish(int promptTokens) {
        if (decodeAtEnd) {
            text = decode();
        }
        emit(text.length());
        String reason = stopped || endOfSequence ? "stop" : "length";
        return new Completion(text, promptTokens, tokens.size(), reason);
    }

    /** Whether a stop string ended the text (later tokens are ignored). */
    boolean done() {
        return stopped || endOfSequence;
    }

    private String decode() {
        return tokenizer.decode(tokens.stream().mapToLong(Long::longValue).toArray(), true);
    }

    private void emit(int upTo) {
        if (upTo > emitted && text.length() >= upTo) {
            sink.accept(text.substring(emitted, upTo));
            emitted = upTo;
        }
    }
}
