"""Turns the peer comparison's JSON lines into one Markdown table, prints it and writes it into a page
between the markers <!-- peer-table:start --> and <!-- peer-table:end --> (appended when absent)."""
import datetime
import json
import os
import platform
import sys

START, END = "<!-- peer-table:start -->", "<!-- peer-table:end -->"

# case -> (what is compared, lower_is_better, target ratio ours/peer, the peer's row to compare with)
TARGETS = {
    "forward": ("median ms", True, 1.00, "eager"),
    "forward-sdpa": ("median ms", True, 1.05, "sdpa"),
    "lora-step": ("median ms", True, 0.90, "eager"),
    "full-step": ("median ms", True, 1.00, "eager"),
    "generate-b1": ("tokens/s", False, 1.10, "eager"),
    "generate-b8": ("tokens/s", False, 1.10, "eager"),
}


def main(results_path, page_path):
    rows = [json.loads(line) for line in open(results_path) if line.strip().startswith("{")]
    ours = {(r["case"], r["threads"]): r for r in rows if r["side"] == "djl-adapters"}
    peers = {(r["case"], r["threads"], r.get("attn", "eager")): r for r in rows if r["side"] == "peer"}
    lines = ["| case | threads | figure | peer | djl-adapters | ours / peer | target | met |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    memory = {}
    for (case, threads), us in sorted(ours.items(), key=lambda kv: (kv[0][1], list(TARGETS).index(kv[0][0]))):
        for label in ([case, case + "-sdpa"] if case == "forward" else [case]):
            figure, lower, target, attn = TARGETS[label]
            peer = peers.get((case, threads, attn))
            if peer is None:
                continue
            key = "median_ms" if lower else "tokens_per_s"
            ratio = us[key] / peer[key]
            met = ratio <= target if lower else ratio >= target
            name = label + (" (PyTorch SDPA)" if label.endswith("sdpa") else " (PyTorch eager)" if case == "forward" else "")
            lines.append(f"| {name} | {threads} | {figure} | {peer[key]:.1f} | {us[key]:.1f} | {ratio:.3f} | "
                         f"{'<=' if lower else '>='} {target:.2f} | {'yes' if met else 'no'} |")
        if case.endswith("-step"):
            memory[(case, threads)] = us["peak_rss_mb"] - us["setup_rss_mb"], peers.get((case, threads, "eager"))
    for threads in sorted({t for _, t in memory}):
        lora, full = memory.get(("lora-step", threads)), memory.get(("full-step", threads))
        if lora and full and full[0] > 0:
            ratio = lora[0] / full[0]
            peer_text = ""
            if lora[1] and full[1]:
                pl = lora[1]["peak_rss_mb"] - lora[1]["setup_rss_mb"]
                pf = full[1]["peak_rss_mb"] - full[1]["setup_rss_mb"]
                peer_text = f"{pl:.0f} / {pf:.0f} MB = {pl / pf:.3f}" if pf > 0 else ""
            lines.append(f"| step memory: LoRA / full (peak RSS above set-up) | {threads} | MB | {peer_text} | "
                         f"{lora[0]:.0f} / {full[0]:.0f} MB | {ratio:.3f} | <= 0.60 | {'yes' if ratio <= 0.6 else 'no'} |")
    engines = sorted({r["engine"] for r in rows})
    gpus = sorted({r["device"] for r in rows if r["side"] == "peer" and r.get("device", "cpu") != "cpu"})
    ours_random = any(r.get("weights") == "random" for r in ours.values())
    header = (f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPU cores"
              f"{', ' + ', '.join(gpus) if gpus else ''}, Linux {platform.release()}; {'; '.join(engines)}. "
              f"Each case runs in its own process, median over the measured rounds; random weights for the peer's "
              f"models (the timings do not depend on their values), "
              f"{'random weights of the same shapes' if ours_random else 'the real all-MiniLM-L6-v2'} for ours.")
    table = "\n".join([header, "", *lines])
    print(table)
    page = open(page_path).read() if os.path.exists(page_path) else ""
    block = f"{START}\n{table}\n{END}"
    if START in page and END in page:
        page = page[:page.index(START)] + block + page[page.index(END) + len(END):]
    else:
        page = page.rstrip("\n") + "\n\n## Against PyTorch, PEFT and transformers\n\n" \
               "`bash bench/peers/run.sh [threads...]` runs these cases back to back and rewrites this table.\n\n" \
               + block + "\n"
    with open(page_path + ".tmp", "w") as out:
        out.write(page)
    os.replace(page_path + ".tmp", page_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
