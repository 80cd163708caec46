package io.github.djladapters.serving.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads a flight recording's execution samples ({@code jdk.ExecutionSample}, Java code running) and
 * native method samples ({@code jdk.NativeMethodSample} whose top frame is a PyTorch or tokenizer
 * JNI call, i.e. work in native code rather than a wait), and counts them per phase by thread kind
 * and by what the stack is doing: forward (engine), tokenisation, JSON, HTTP, batching, generation
 * loop, registry, metrics, response checks.
 */
final class JfrBreakdown {

    /** A phase's time window. */
    record Window(String name, Instant start, Instant end) {}

    private JfrBreakdown() {}

    /** Samples per phase, then per "thread kind / activity". */
    static Map<String, Map<String, Integer>> read(Path recording, List<Window> windows) throws IOException {
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        windows.forEach(w -> counts.put(w.name(), new LinkedHashMap<>()));
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            String type = event.getEventType().getName();
            boolean nativeSample = type.equals("jdk.NativeMethodSample");
            if (!type.equals("jdk.ExecutionSample") && !nativeSample) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            if (nativeSample && !isNativeWork(stack.getFrames().get(0))) {
                continue; // a thread waiting in epoll, a socket read, ...
            }
            Window window = windows.stream().filter(w -> !event.getStartTime().isBefore(w.start())
                    && event.getStartTime().isBefore(w.end())).findFirst().orElse(null);
            if (window == null) {
                continue;
            }
            RecordedThread thread = event.getThread("sampledThread");
            String threadName = thread == null || thread.getJavaName() == null ? "?" : thread.getJavaName();
            String key = ThreadCpu.kind(threadName) + " / " + activity(stack.getFrames());
            counts.get(window.name()).merge(key, 1, Integer::sum);
        }
        return counts;
    }

    private static boolean isNativeWork(RecordedFrame top) {
        String type = top.getMethod().getType().getName();
        return type.startsWith("ai.djl.pytorch.jni") || type.startsWith("ai.djl.huggingface.tokenizers.jni");
    }

    /** What a stack is doing: the first rule that matches, top frame down. */
    static String activity(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            String type = frame.getMethod().getType().getName();
            if (type.startsWith("ai.djl.huggingface.tokenizers") || type.endsWith("PaddedBatchTokenizer")
                    || type.endsWith("StreamedText")) {
                return "tokenisation";
            }
        }
        for (RecordedFrame frame : frames) {
            String type = frame.getMethod().getType().getName();
            if (type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.")) {
                if (type.startsWith("java.net.http") || type.startsWith("jdk.internal.net.http")) {
                    return "HTTP";
                }
                continue;
            }
            if (type.startsWith("ai.djl") || type.startsWith("io.github.djladapters.runtime")
                    || type.startsWith("io.github.djladapters.models.generation.DecodingBatch")
                    || type.startsWith("io.github.djladapters.models")) {
                return "forward (engine and model code)";
            }
            if (type.startsWith("com.fasterxml.jackson")) {
                return "JSON";
            }
            if (type.startsWith("org.eclipse.jetty")) {
                return "HTTP";
            }
            if (type.startsWith("io.github.djladapters.serving.batching")) {
                return "batching and queueing";
            }
            if (type.endsWith("ContinuousScheduler") || type.endsWith("GenerationService")) {
                return "generation loop";
            }
            if (type.startsWith("io.github.djladapters.serving.registry")) {
                return "registry";
            }
            if (type.startsWith("io.prometheus") || type.startsWith("io.github.djladapters.serving.metrics")) {
                return "metrics";
            }
            if (type.startsWith("io.github.djladapters.serving.bench")) {
                return "load generator (requests, checks)";
            }
            if (type.startsWith("io.github.djladapters.serving")) {
                return "serving (other)";
            }
        }
        return "JDK (other)";
    }
}
