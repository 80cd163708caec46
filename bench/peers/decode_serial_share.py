"""The part of a transformers decoding step that does not use the second intra-op thread, from CPU
times: the peer half of `DecodeSerialShare` (models test sources). Greedy generation of the
`generate-b1`/`generate-b8` case (peer_cases.py), per step: the process's and the calling thread's CPU
time; with the parallel work split evenly, (calling thread - others) is the serial part.

    OMP_WAIT_POLICY=PASSIVE python bench/peers/decode_serial_share.py [batch] [rounds]
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_cases  # noqa: E402


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(2)
    torch.set_num_interop_threads(1)
    peer_cases.DEVICE = "cpu"
    run, _ = peer_cases.generate_case(batch)
    run()
    steps = peer_cases.NEW_TOKENS
    for _ in range(rounds):
        p0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
        run()
        p, t, w = time.process_time() - p0, time.thread_time() - t0, time.perf_counter() - w0
        print(f"peer b{batch}: per step cpu {p / steps * 1e3:.1f} ms, main {t / steps * 1e3:.1f} ms, "
              f"other {(p - t) / steps * 1e3:.1f} ms, serial (main-other) {(2 * t - p) / steps * 1e3:.1f} ms, "
              f"wall {w / steps * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
