"""A/B of JVM and OpenMP settings for our training step at two threads: one PeerBenchmark process per
setting, all started together, warmed up, then run round by round in alternating order (as interleave.py
runs the peer comparison), so that drift of the machine hits every setting alike. Prints, per setting, the
median wall and process CPU time per step, the median of its per-round wall ratio to the first setting,
the busy threads, and the JVM's garbage collections per step (from -Xlog:gc in each process's log).

    python bench/peers/jvm_settings.py --cp CLASSPATH [--case lora-step] [--threads 2] [--rounds 8]

A measuring tool for an idle machine (bench/peers/jvm_settings.sh runs it); never part of the build.
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import Side, thread_env  # noqa: E402

# name, extra JVM options, extra environment
SETTINGS = [
    ("default (G1)", "", {}),
    ("SerialGC", "-XX:+UseSerialGC", {}),
    ("G1, young gen 256m", "-Xmn256m", {}),
    ("C1 only, 1 compiler thread", "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1", {}),
    ("OMP_WAIT_POLICY=PASSIVE", "", {"OMP_WAIT_POLICY": "PASSIVE"}),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cp", required=True)
    parser.add_argument("--java", default="java")
    parser.add_argument("--case", default="lora-step")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out-dir", default="target/jvm-settings")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    sides = []
    try:
        for index, (name, opts, env) in enumerate(SETTINGS):
            log = os.path.join(args.out_dir, f"setting-{index}.log")
            command = [args.java, *opts.split(), "-Xms512m", "-Xlog:gc:stderr", "-Dai.djl.offline=true",
                       "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", args.cp,
                       "io.github.djladapters.models.bench.PeerBenchmark", args.case, str(args.threads), "rounds",
                       str(args.warmup)]
            sides.append(Side(name, "-", command, thread_env(args.threads, env), log))
        for side in sides:
            side.answer()  # ready
        gcs_before = [count_gcs(side.log_path) for side in sides]
        samples = {side.name: [] for side in sides}
        for r in range(args.rounds):
            for side in (sides if r % 2 == 0 else list(reversed(sides))):
                samples[side.name].append(side.round())
        for side in sides:
            side.close()
        base = samples[sides[0].name]
        print(f"{args.case}, {args.threads} threads, {args.rounds} interleaved rounds")
        print(f"{'setting':40s} {'wall ms':>9s} {'cpu ms':>8s} {'wall / first':>12s} {'busy':>5s} {'GCs/step':>8s}")
        for side, before in zip(sides, gcs_before):
            rounds = samples[side.name]
            ratio = statistics.median(a["ms"] / b["ms"] for a, b in zip(rounds, base))
            gcs = (count_gcs(side.log_path) - before) / args.rounds
            print(f"{side.name:40s} {statistics.median(a['ms'] for a in rounds):9.1f} "
                  f"{statistics.median(a['cpu_ms'] for a in rounds):8.1f} {ratio:12.3f} "
                  f"{statistics.median(a['busy_threads'] for a in rounds):5.1f} {gcs:8.2f}")
    finally:
        for side in sides:
            side.close()


def count_gcs(log_path):
    with open(log_path) as log:
        return len(re.findall(r"\bPause\b", log.read()))


if __name__ == "__main__":
    main()
