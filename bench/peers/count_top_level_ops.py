"""Counts the top-level ops (engine calls) of chrome traces written by DecodeCallCount.

python3 bench/peers/count_top_level_ops.py short.json long.json short_tokens long_tokens
prints the top-level ops of each trace and their difference per token.
"""
import json
import sys


def top_level(path):
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    ops = sorted((e for e in events if e.get("ph") == "X" and e.get("cat", "cpu_op") in ("cpu_op", "Operator")),
                 key=lambda e: (e.get("tid"), e["ts"], -e.get("dur", 0)))
    count, end, tid = 0, -1.0, None
    for e in ops:
        if e.get("tid") != tid:
            tid, end = e.get("tid"), -1.0
        if e["ts"] >= end:
            count += 1
            end = e["ts"] + e.get("dur", 0)
    return count


short, long_, n_short, n_long = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
a, b = top_level(short), top_level(long_)
print(f"{short}: {a} top-level ops, {long_}: {b}, per decoded token: {(b - a) / (n_long - n_short):.1f}")
