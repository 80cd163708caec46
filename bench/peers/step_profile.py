"""PEFT's LoRA training step under torch.profiler (the peer of TrainingStepProfile), and a comparison of
two chrome traces by op: self time (an event's duration less that of the events it encloses on its
thread), summed per op name.

    python bench/peers/step_profile.py peft trace.json [attn] [steps]   # PEFT's trace (attn: eager|sdpa)
    python bench/peers/step_profile.py compare ours.json peer.json  # self ms per op name, both sides
"""
import json
import sys
from collections import defaultdict


def self_times(path):
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    ops = [e for e in events if e.get("ph") == "X" and "dur" in e
           and e.get("cat", "cpu_op") in ("cpu_op", "Operator", "user_annotation") and e["name"] != "ProfilerStep#0"]
    ops.sort(key=lambda e: (e.get("tid"), e["ts"], -e["dur"]))
    totals, counts = defaultdict(float), defaultdict(int)
    stack, tid = [], None
    for e in ops:
        if e.get("tid") != tid:
            stack, tid = [], e.get("tid")
        while stack and e["ts"] >= stack[-1][0]["ts"] + stack[-1][0]["dur"]:
            stack.pop()
        if stack:
            stack[-1][1].append(e)
        stack.append((e, []))
        totals[e["name"]] += e["dur"]
        counts[e["name"]] += 1
    # subtract children's time
    stack, tid = [], None
    for e in ops:
        if e.get("tid") != tid:
            stack, tid = [], e.get("tid")
        while stack and e["ts"] >= stack[-1]["ts"] + stack[-1]["dur"]:
            stack.pop()
        if stack:
            totals[stack[-1]["name"]] -= e["dur"]
        stack.append(e)
    return totals, counts


def peft(path, attn, steps):
    import torch
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    import peer_cases
    torch.set_num_threads(1)
    run, _ = peer_cases.training_case(True, attn)
    for _ in range(3):
        run()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            run()
    prof.export_chrome_trace(path)


def compare(ours, peer):
    a, ac = self_times(ours)
    b, bc = self_times(peer)
    names = sorted(set(a) | set(b), key=lambda n: -abs(a.get(n, 0) - b.get(n, 0)))
    print(f"{'op':60s} {'ours ms':>9s} {'n':>5s} {'peer ms':>9s} {'n':>5s}")
    for n in names[:45]:
        print(f"{n[:60]:60s} {a.get(n, 0) / 1e3:9.2f} {ac.get(n, 0):5d} {b.get(n, 0) / 1e3:9.2f} {bc.get(n, 0):5d}")
    print(f"{'total':60s} {sum(a.values()) / 1e3:9.2f} {'':5s} {sum(b.values()) / 1e3:9.2f}")


if __name__ == "__main__":
    if sys.argv[1] == "peft":
        peft(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "eager", int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    else:
        compare(sys.argv[2], sys.argv[3])
