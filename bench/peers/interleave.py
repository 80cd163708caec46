"""Drives the peer comparison: for each (threads, case) both sides start once, load and warm up, then run
round by round in alternating order, and each step's memory is measured in fresh processes. Writes every
line the processes answer, tagged with its side, to a JSON-lines file that table.py turns into the table.

Rounds: the processes of one case are started together (peer_cases.py once per attention the peer offers,
PeerBenchmark once) and wait on stdin after their warm-up; each round sends "round" to every process in
turn, ours between the peer's variants, the order reversed every other round (A B, B A, ...), so that slow
drift of the machine hits both sides alike. Each process times its own runs (see PeerRounds.java): a round
is one run of the case, or --runs N back to back for a case given as case=N (short cases: one forward takes
a tenth of a second, where one descheduling of a virtual machine's CPU moves a single run by half), and
answers the mean per run. Around each round the driver also reads the host's counters in /proc/stat: the
time the hypervisor gave this machine's CPUs to others (steal) and the CPU time other processes used
meanwhile (busy time of the whole machine less the measured process's own), both per run, so that a noisy
round shows in the results.

Memory (lora-step and full-step): each figure comes from a fresh process that loads the model, resets its
peak resident set and runs a few steps, under the same glibc allocator settings on both sides (given with
--malloc-env, exported to both processes alike).

A measuring tool only: never a dependency of the build or of the tests.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

PEER_ATTENTIONS = {"forward": ["eager", "sdpa"], "lora-step": ["eager", "sdpa"], "full-step": ["eager", "sdpa"]}
MEMORY_CASES = ["lora-step", "full-step"]


class Side:
    """One measuring process of one side (peer with an attention, or ours) speaking the round protocol."""

    def __init__(self, name, attn, command, env, log_path):
        self.name, self.attn, self.command, self.log_path = name, attn, command, log_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                        env=env, text=True, bufsize=1)

    def answer(self):
        """The next JSON line on the process's stdout (other lines, such as native libraries' notes, skipped)."""
        while True:
            line = self.process.stdout.readline()
            if not line:
                self.close()
                with open(self.log_path) as log:
                    tail = log.read()[-3000:]
                raise SystemExit(f"{self.name} ({self.attn}) ended early, exit code {self.process.returncode}: "
                                 f"{shlex.join(self.command)}\n--- its stderr ({self.log_path}), last lines:\n{tail}")
            if line.lstrip().startswith("{"):
                return json.loads(line)

    def round(self, runs):
        """One round of `runs` runs, with the host's steal and other processes' CPU time per run around it."""
        before = host_ticks()
        self.process.stdin.write(f"round {runs}\n")
        self.process.stdin.flush()
        answer = self.answer()
        after = host_ticks()
        if answer.get("event") != "round":
            raise SystemExit(f"{self.name} ({self.attn}) answered {answer} to 'round {runs}'")
        if before and after:
            tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
            answer["host_steal_ms"] = (after["steal"] - before["steal"]) * tick_ms / runs
            busy_ms = (after["busy"] - before["busy"]) * tick_ms / runs
            answer["host_others_cpu_ms"] = max(0.0, busy_ms - answer["cpu_ms"])
        return answer

    def close(self):
        if self.log.closed:
            return
        try:
            if self.process.poll() is None:
                self.process.stdin.write("quit\n")
            self.process.stdin.close()
        except (BrokenPipeError, ValueError):
            pass  # the process ended already
        self.process.wait()
        self.log.close()


def host_ticks():
    """The whole machine's CPU counters (clock ticks) from /proc/stat's "cpu" line: steal and busy (all but
    idle, iowait and steal); empty where /proc/stat is not there."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return {}
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return {"steal": steal, "busy": user + nice + system + irq + softirq}


def case_counts(text, what, minimum, default=None):
    """"forward=4 lora-step" -> {"forward": 4, "lora-step": default}: a count per case, each given as case=N
    (N a whole number of at least `minimum`), or as a bare case name where a default is given."""
    counts = {}
    for item in text.split():
        case, _, count = item.partition("=")
        if not count and default is not None:
            counts[case] = default
        elif count.isdigit() and int(count) >= minimum:
            counts[case] = int(count)
        else:
            raise SystemExit(f"bad {what} in '{item}': expected case=N with N a whole number of at least {minimum}")
    return counts


def thread_env(threads, extra=None):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.update(extra or {})
    return env


def peer_command(args, case, threads, attn, mode, count):
    return [args.python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer_cases.py"), case,
            str(threads), "--mode", mode, "--warmup" if mode == "rounds" else "--steps", str(count), "--attn", attn,
            "--device", args.device]


def our_command(args, case, threads, mode, count, extra_opts=""):
    return [args.java, *shlex.split(args.java_opts), *shlex.split(extra_opts), f"-Dai.djl.offline={args.offline}",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error",
            "-cp", args.cp, "io.github.djladapters.models.bench.PeerBenchmark", case, str(threads), mode, str(count)]


def interleaved_rounds(args, case, runs, threads, results):
    warmup = args.warmup_for.get(case, args.warmup)  # the same on both sides
    attns = PEER_ATTENTIONS.get(case, ["eager"])
    sides = []
    try:
        for attn in attns:
            sides.append(Side("peer", attn, peer_command(args, case, threads, attn, "rounds", warmup),
                              thread_env(threads), os.path.join(args.out_dir, f"peer-{case}-{attn}-{threads}.log")))
        ours = Side("djl-adapters", "-", our_command(args, case, threads, "rounds", warmup), thread_env(threads),
                    os.path.join(args.out_dir, f"ours-{case}-{threads}.log"))
        sides.insert(1, ours)  # ours between the peer's variants: next to each of them in every round
        for side in sides:
            results.write(json.dumps({**side.answer(), "side": side.name, "attn": side.attn}) + "\n")
        for index in range(args.rounds):
            for side in (sides if index % 2 == 0 else sides[::-1]):
                answer = side.round(runs)
                results.write(json.dumps({**answer, "round": index, "side": side.name, "attn": side.attn,
                                          "case": case, "threads": threads}) + "\n")
            results.flush()
    finally:
        for side in sides:
            side.close()


def memory_runs(args, case, threads, results):
    malloc = dict(item.split("=", 1) for item in args.malloc_env.split())
    for run in range(args.mem_runs):
        commands = [("peer", "eager", peer_command(args, case, threads, "eager", "memory", args.mem_steps)),
                    ("djl-adapters", "-", our_command(args, case, threads, "memory", args.mem_steps, args.mem_java_opts))]
        for name, attn, command in (commands if run % 2 == 0 else commands[::-1]):
            done = subprocess.run(command, env=thread_env(threads, malloc), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
            lines = [line for line in done.stdout.splitlines() if line.lstrip().startswith("{")]
            if done.returncode != 0 or not lines:
                raise SystemExit(f"{name} memory run failed, exit code {done.returncode}: {shlex.join(command)}\n"
                                 f"{done.stderr[-3000:]}")
            results.write(json.dumps({**json.loads(lines[-1]), "side": name, "attn": attn, "run": run,
                                      "java_memory_opts": args.mem_java_opts}) + "\n")
            results.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cases", default="matmul forward=4 lora-step full-step generate-b1 generate-b8",
                        help="cases, each as case or case=N (N runs per round)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--warmup-for", default="",
                        help="warm-up runs of some cases instead of --warmup, as case=N (both sides alike)")
    parser.add_argument("--mem-runs", type=int, default=3, help="fresh processes per side and step (0: none)")
    parser.add_argument("--mem-steps", type=int, default=3)
    parser.add_argument("--malloc-env", default="MALLOC_MMAP_THRESHOLD_=65536 MALLOC_ARENA_MAX=2")
    parser.add_argument("--mem-java-opts", default="-Xms512m -Xmx512m -XX:+AlwaysPreTouch")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--java", default="java")
    parser.add_argument("--java-opts", default="")
    parser.add_argument("--cp", required=True)
    parser.add_argument("--offline", default="true")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--out", required=True, help="the JSON-lines file to write")
    args = parser.parse_args()
    args.out_dir = os.path.dirname(os.path.abspath(args.out))
    runs = case_counts(args.cases, "runs per round", 1, default=1)
    args.warmup_for = case_counts(args.warmup_for, "warm-up", 0)
    with open(args.out, "w") as results:
        for threads in args.threads:
            for case, count in runs.items():
                print(f"threads {threads}, case {case}: {args.rounds} interleaved rounds of {count} run"
                      f"{'s' if count > 1 else ''}", file=sys.stderr)
                interleaved_rounds(args, case, count, threads, results)
            for case in [c for c in MEMORY_CASES if c in runs] if args.mem_runs > 0 else []:
                print(f"threads {threads}, {case} memory: {args.mem_runs} fresh processes per side", file=sys.stderr)
                memory_runs(args, case, threads, results)


if __name__ == "__main__":
    main()
