"""Turns the JSON lines of interleave.py into one Markdown table, prints it and writes it into a page
between the markers <!-- peer-table:start --> and <!-- peer-table:end --> (appended when absent).

Per case: each side's median, and the median of the per-round ratios ours / peer (each of our rounds
against the peer's round of the same index, run next to it) with their interquartile range and
min - max. A target counts as met only when the ratio's upper quartile meets it (its lower quartile,
for tokens/s), and, where the peer ran with more than one attention, against every one of them.
"""
import datetime
import json
import os
import platform
import statistics
import sys
from collections import defaultdict

START, END = "<!-- peer-table:start -->", "<!-- peer-table:end -->"

# (case, the peer's attention) -> target ratio ours / peer (<= for times, >= for tokens/s); None: no target
TARGETS = {
    ("matmul", "eager"): None,
    ("forward", "eager"): 1.00, ("forward", "sdpa"): 1.05,
    ("lora-step", "eager"): 0.90, ("lora-step", "sdpa"): 0.90,
    ("full-step", "eager"): 1.00, ("full-step", "sdpa"): 1.00,
    ("generate-b1", "eager"): 1.10, ("generate-b8", "eager"): 1.10,
}
CASE_ORDER = ["matmul", "forward", "lora-step", "full-step", "generate-b1", "generate-b8"]
MEMORY_TARGET = 0.60


def quartiles(values):
    """Lower quartile, median, upper quartile (inclusive method: within the values' range)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def per_side(rows):
    """(case, threads, side, attn) -> the list of that process's round answers, by round index."""
    rounds = defaultdict(dict)
    for row in rows:
        if row.get("event") == "round":
            rounds[(row["case"], row["threads"], row["side"], row["attn"])][row["round"]] = row
    return rounds


def timing_lines(rows):
    rounds = per_side(rows)
    lines = ["| case | threads | figure | peer (median) | djl-adapters (median) | ours / peer, median of pairs "
             "| quartiles | min - max | pairs | CPU-time ratio | busy threads, peer / ours | host steal / others' CPU, "
             "ms per run | target | met |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    verdicts = defaultdict(list)  # (case, threads) -> met against each peer variant
    keys = sorted({(c, t) for c, t, s, _ in rounds if s == "djl-adapters"}, key=lambda k: (k[1], CASE_ORDER.index(k[0])))
    for case, threads in keys:
        ours = rounds[(case, threads, "djl-adapters", "-")]
        for (c, t, side, attn), peer in sorted(rounds.items()):
            if (c, t, side) != (case, threads, "peer"):
                continue
            pairs = sorted(set(ours) & set(peer))
            tokens = ours[pairs[0]]["tokens_per_s"] > 0
            key = "tokens_per_s" if tokens else "ms"
            ratios = sorted(ours[i][key] / peer[i][key] for i in pairs)
            # CPU time of the whole process over the same rounds: less sensitive to other processes' load
            cpu = statistics.median(ours[i]["cpu_ms"] for i in pairs) / statistics.median(peer[i]["cpu_ms"] for i in pairs)
            cpu = 1 / cpu if tokens else cpu
            busy = "/".join(f"{statistics.median(r.get('busy_threads', 0) for r in side.values()):g}"
                            for side in (peer, ours))
            q1, q2, q3 = quartiles(ratios)
            noise = host_noise([side[i] for side in (ours, peer) for i in pairs])
            target = TARGETS.get((case, attn))
            if target is None:
                met, target_text = "-", "-"
            else:
                ok = q1 >= target if tokens else q3 <= target
                verdicts[(case, threads)].append(ok)
                met, target_text = ("yes" if ok else "no"), f"{'>=' if tokens else '<='} {target:.2f}"
            name = case if case in ("matmul",) or case.startswith("generate") else f"{case} (peer {attn})"
            if case == "matmul":
                name = "matmul 2048 (thread check)"
            lines.append(f"| {name} | {threads} | {'tokens/s' if tokens else 'ms'} | "
                         f"{statistics.median(p[key] for p in peer.values()):.1f} | "
                         f"{statistics.median(o[key] for o in ours.values()):.1f} | **{q2:.3f}** | "
                         f"{q1:.3f} - {q3:.3f} | {ratios[0]:.3f} - {ratios[-1]:.3f} | {len(pairs)} | {cpu:.3f} | {busy} | {noise} | "
                         f"{target_text} | {met} |")
    return lines, verdicts


def host_noise(rounds):
    """Median and largest host steal and other processes' CPU time per run over the given rounds ("-" where
    the driver could not read /proc/stat)."""
    steal = [r["host_steal_ms"] for r in rounds if "host_steal_ms" in r]
    others = [r["host_others_cpu_ms"] for r in rounds if "host_others_cpu_ms" in r]
    if not steal or not others:
        return "-"
    return (f"{statistics.median(steal):.1f} (max {max(steal):.1f}) / "
            f"{statistics.median(others):.1f} (max {max(others):.1f})")


def memory_lines(rows):
    runs = defaultdict(list)  # (case, threads, side) -> peak above load, MB, one per fresh process
    for row in rows:
        if row.get("event") == "memory":
            runs[(row["case"], row["threads"], row["side"])].append(row["peak_above_load_mb"])
    lines, verdicts = [], {}
    for threads in sorted({t for _, t, _ in runs}):
        cells = {}
        for side in ("peer", "djl-adapters"):
            lora, full = runs.get(("lora-step", threads, side)), runs.get(("full-step", threads, side))
            if not lora or not full:
                continue
            ratio = statistics.median(lora) / statistics.median(full)
            worst = max(lora) / min(full)
            spread = max((max(v) - min(v)) / statistics.median(v) for v in (lora, full))
            cells[side] = (f"{statistics.median(lora):.0f} / {statistics.median(full):.0f} MB, spread "
                           f"{spread * 100:.1f} %", ratio, worst, min(len(lora), len(full)))
        if "djl-adapters" not in cells:
            continue
        peer = cells.get("peer", ("", 0, 0, 0))
        text, ratio, worst, count = cells["djl-adapters"]
        ok = worst <= MEMORY_TARGET
        verdicts[("step memory", threads)] = [ok]
        lines.append(f"| step memory LoRA / full (peak RSS above the loaded model) | {threads} | MB | {peer[0]}"
                     f"{f' = {peer[1]:.3f}' if peer[0] else ''} | {text} | **{ratio:.3f}** | - | worst {worst:.3f} | "
                     f"{count} runs | - | - | - | <= {MEMORY_TARGET:.2f} | {'yes' if ok else 'no'} |")
    return lines, verdicts


def header(rows):
    ready = [r for r in rows if r.get("event") in ("ready", "memory")]
    engines = sorted({r["engine"] for r in ready})
    gpus = sorted({r["device"] for r in ready if r["side"] == "peer" and r.get("device", "cpu") != "cpu"})
    ours_random = any(r.get("weights") == "random" for r in ready if r["side"] == "djl-adapters"
                      and r["case"] in ("forward", "lora-step", "full-step"))
    threads = sorted({(r["side"], r["threads"], r["torch_threads"], r["interop_threads"]) for r in ready})
    thread_text = "; ".join(f"{side} asked for {t}: {n} intra-op, {i} inter-op" for side, t, n, i in threads)
    memory = [r for r in rows if r.get("event") == "memory"]
    text = (f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPU cores"
            f"{', ' + ', '.join(gpus) if gpus else ''}, Linux {platform.release()}; {'; '.join(engines)}. "
            f"Both sides of a case start once, warm up, then run round by round in alternating order (ABBA); each "
            f"round is timed inside its own process; a pair is our round and the peer's round next to it. "
            f"Random weights for the peer's models (the timings do not depend on their values), "
            f"{'random weights of the same shapes' if ours_random else 'the real all-MiniLM-L6-v2'} for ours. "
            f"Threads that libtorch reports in each process: {thread_text}. Busy threads: those of a process "
            f"that did at least a quarter of its busiest thread's CPU time in a round (/proc/self/task), median "
            f"over the rounds. CPU-time ratio: the medians of each process's CPU time per round, ours / peer "
            f"(inverted for tokens/s), less sensitive to other processes' load than the wall clock. Host steal / "
            f"others' CPU: from /proc/stat around each round, the time the hypervisor ran something else on this "
            f"machine's CPUs and the CPU time of processes other than the measured one, per run: median over both "
            f"sides' rounds (largest).")
    runs = sorted({(r["case"], r["runs"]) for r in rows if r.get("event") == "round" and r.get("runs", 1) > 1})
    if runs:
        text += (" Each round of " + ", ".join(f"{case} ran {count} times back to back" for case, count in runs)
                 + " on each side, timed as the mean per run.")
    split = sorted({(r["case"], r["threads"], r["row_groups"]) for r in ready
                    if r["side"] == "djl-adapters" and r.get("row_groups", 1) > 1})
    if split:
        text += (" Ours ran these cases as row groups side by side, each on its own thread at one intra-op "
                 "thread (RowSplitForward, RowSplitStep), instead of the whole batch at that many intra-op threads: "
                 + ", ".join(f"{case} at {t} threads ({g} groups)" for case, t, g in split) + ".")
    speedups = thread_speedups(rows)
    if speedups:
        text += (f" The matmul's median time at 1 thread over 2 threads (on a loaded machine, waiting for a core "
                 f"counts too): {speedups}.")
    if memory:
        first = memory[0]
        text += (f" Memory: each figure from a fresh process that loads the model, resets its peak resident set "
                 f"(VmHWM) and runs {first['steps']} steps, both sides under "
                 f"{' '.join(f'{k}={v}' for k, v in sorted(first['malloc_env'].items()))}; ours with "
                 f"`{first.get('java_memory_opts', '')}` (a fixed, pre-touched Java heap).")
    return text


def thread_speedups(rows):
    medians = defaultdict(list)
    for row in rows:
        if row.get("event") == "round" and row["case"] == "matmul":
            medians[(row["side"], row["threads"])].append(row["ms"])
    parts = [f"{side} {statistics.median(medians[(side, 1)]) / statistics.median(medians[(side, 2)]):.2f}x"
             for side in ("peer", "djl-adapters") if (side, 1) in medians and (side, 2) in medians]
    return ", ".join(parts)


def summary(verdicts):
    met = sorted(f"{case} at {threads} thread{'s' if threads > 1 else ''}"
                 for (case, threads), oks in verdicts.items() if oks and all(oks))
    return (f"Targets met (upper quartile of the ratio within the target against every peer variant): "
            f"{len(met)} of {len(verdicts)}{': ' + ', '.join(met) if met else ''}.")


def main(results_path, page_path):
    rows = [json.loads(line) for line in open(results_path) if line.strip().startswith("{")]
    lines, verdicts = timing_lines(rows)
    more, memory_verdicts = memory_lines(rows)
    verdicts.update(memory_verdicts)
    table = "\n".join([header(rows), "", *lines, *more, "", summary(verdicts)])
    print(table)
    page = open(page_path).read() if os.path.exists(page_path) else ""
    block = f"{START}\n{table}\n{END}"
    if START in page and END in page:
        page = page[:page.index(START)] + block + page[page.index(END) + len(END):]
    else:
        page = page.rstrip("\n") + "\n\n## Against PyTorch, PEFT and transformers\n\n" \
               "`bash bench/peers/run.sh [threads...]` runs these cases in interleaved rounds and rewrites this " \
               "table.\n\n" + block + "\n"
    with open(page_path + ".tmp", "w") as out:
        out.write(page)
    os.replace(page_path + ".tmp", page_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
