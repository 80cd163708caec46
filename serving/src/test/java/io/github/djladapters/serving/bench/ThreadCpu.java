package io.github.djladapters.serving.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of this process by thread kind: Java threads through {@code ThreadMXBean} (by their Java
 * name: the load generator's clients and HTTP client, Jetty, the batchers and the generation loop),
 * the JVM's own threads (GC, JIT) from {@code /proc/self/task}, and the rest of the process's CPU time
 * ({@code /proc/self/stat}), which is native threads no Java name covers: PyTorch's intra-op workers
 * (a native thread inherits the name of the thread that started it, so {@code /proc} names alone
 * would count them with whichever Java thread first ran a parallel operator).
 */
final class ThreadCpu {

    /** Thread groups, in report order. */
    static final String[] KINDS = {"load clients", "load HTTP client", "server HTTP (Jetty)", "embedding batcher",
        "generation loop", "engine workers (PyTorch intra-op)", "JVM JIT (C1, C2)", "JVM GC and VM", "other"};

    private static final long TICKS_PER_SECOND = 100;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    private ThreadCpu() {}

    /**
     * A snapshot: CPU nanoseconds per live Java thread (with its name), the JIT compiler threads' and the
     * other JVM-internal threads' ticks (GC, VM thread), and whole-process ticks.
     */
    record Sample(Map<Long, String> javaNames, Map<Long, Long> javaNanos, Map<Integer, Long> jitTicks,
            Map<Integer, Long> jvmTicks, long processTicks) {}

    static Sample sample() {
        Map<Long, String> names = new HashMap<>();
        Map<Long, Long> nanos = new HashMap<>();
        for (java.lang.management.ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info != null) {
                long cpu = THREADS.getThreadCpuTime(info.getThreadId());
                if (cpu >= 0) {
                    names.put(info.getThreadId(), info.getThreadName());
                    nanos.put(info.getThreadId(), cpu);
                }
            }
        }
        Map<Integer, Long> jit = new HashMap<>();
        Map<Integer, Long> jvm = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (isJit(name)) {
                        jit.put(Integer.parseInt(task.getFileName().toString()), ticks(stat));
                    } else if (isJvmInternal(name)) {
                        jvm.put(Integer.parseInt(task.getFileName().toString()), ticks(stat));
                    }
                } catch (IOException | RuntimeException gone) {
                    // the thread ended while we read it
                }
            }
            return new Sample(names, nanos, jit, jvm, ticks(Files.readString(Path.of("/proc/self/stat"))));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self", e);
        }
    }

    /** utime + stime (fields 14 and 15) of a {@code stat} line. */
    private static long ticks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** CPU seconds per thread kind between two samples. */
    static Map<String, Double> secondsByKind(Sample before, Sample after) {
        Map<String, Double> seconds = new LinkedHashMap<>();
        for (String kind : KINDS) {
            seconds.put(kind, 0.0);
        }
        double java = 0;
        for (Map.Entry<Long, Long> thread : after.javaNanos().entrySet()) {
            double delta = (thread.getValue() - before.javaNanos().getOrDefault(thread.getKey(), 0L)) / 1e9;
            seconds.merge(kind(after.javaNames().get(thread.getKey())), delta, Double::sum);
            java += delta;
        }
        double jit = seconds(before.jitTicks(), after.jitTicks());
        double jvm = seconds(before.jvmTicks(), after.jvmTicks());
        seconds.put("JVM JIT (C1, C2)", jit);
        seconds.put("JVM GC and VM", jvm);
        double process = (after.processTicks() - before.processTicks()) / (double) TICKS_PER_SECOND;
        seconds.put("engine workers (PyTorch intra-op)", Math.max(0, process - java - jit - jvm));
        return seconds;
    }

    private static double seconds(Map<Integer, Long> before, Map<Integer, Long> after) {
        double seconds = 0;
        for (Map.Entry<Integer, Long> thread : after.entrySet()) {
            seconds += (thread.getValue() - before.getOrDefault(thread.getKey(), 0L)) / (double) TICKS_PER_SECOND;
        }
        return seconds;
    }

    /** The load generator's share: its client threads and the JDK HttpClient's threads. */
    static boolean isLoadGenerator(String kind) {
        return kind.startsWith("load");
    }

    private static boolean isJit(String name) {
        return name.startsWith("C1 ") || name.startsWith("C2 ") || name.startsWith("Sweeper");
    }

    private static boolean isJvmInternal(String name) {
        return name.startsWith("GC ") || name.startsWith("G1 ") || name.startsWith("VM ");
    }

    /** The kind of a Java thread, by its name. */
    static String kind(String name) {
        if (name.startsWith("load-")) {
            return "load clients";
        }
        if (name.startsWith("HttpClient")) {
            return "load HTTP client";
        }
        if (name.startsWith("http-") || name.startsWith("qtp") || name.startsWith("Scheduler")
                || name.startsWith("Connector")) {
            return "server HTTP (Jetty)";
        }
        if (name.startsWith("embedding-batch")) {
            return "embedding batcher";
        }
        if (name.startsWith("generation-batc") || name.startsWith("continuous-gene")) {
            return "generation loop";
        }
        return "other";
    }
}
