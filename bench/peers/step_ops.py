"""Per-op CPU time of one BERT layer's training ops at the LoRA/full step's shapes (all-MiniLM-L6-v2,
8 x 128 tokens, hidden 384, 12 heads, intermediate 1536), forward and backward, through this Python's
PyTorch: the peer half of `StepOpsBenchmark` (models test sources), which times the same ops through DJL.

    python bench/peers/step_ops.py [rounds] [threads]      # prints one JSON line per op

Each op runs `rounds` times after two warm-up runs; the figure is the median thread CPU time in ms of
one forward + backward (the gradient of the output is a fixed random tensor). "frozen" ops take no
gradient for their weight (the LoRA step's base projections); "full" ones do (the full step's).
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

B, T, H, HEADS, FF, R = 8, 128, 384, 12, 1536, 8
D = H // HEADS


def t(*shape, grad=False):
    x = torch.randn(*shape)
    return x.requires_grad_(grad)


def cases():
    g = torch.Generator().manual_seed(0)
    mask = torch.zeros(B, 1, 1, T)
    scale = D ** -0.5
    yield "linear 384->384 frozen", lambda: (t(B, T, H, grad=True), t(H, H), t(H)), lambda x, w, b: F.linear(x, w, b)
    yield "linear 384->384 full", lambda: (t(B, T, H, grad=True), t(H, H, grad=True), t(H, grad=True)), \
        lambda x, w, b: F.linear(x, w, b)
    yield "linear 384->1536 frozen", lambda: (t(B, T, H, grad=True), t(FF, H), t(FF)), lambda x, w, b: F.linear(x, w, b)
    yield "linear 384->1536 full", lambda: (t(B, T, H, grad=True), t(FF, H, grad=True), t(FF, grad=True)), \
        lambda x, w, b: F.linear(x, w, b)
    yield "linear 1536->384 frozen", lambda: (t(B, T, FF, grad=True), t(H, FF), t(H)), lambda x, w, b: F.linear(x, w, b)
    yield "linear 1536->384 full", lambda: (t(B, T, FF, grad=True), t(H, FF, grad=True), t(H, grad=True)), \
        lambda x, w, b: F.linear(x, w, b)
    yield "head split q@k^T (bmm)", lambda: (t(B, HEADS, T, D, grad=True), t(B, HEADS, T, D, grad=True)), \
        lambda q, k: torch.matmul(q * scale, k.transpose(-1, -2)) + mask
    yield "softmax [8,12,128,128]", lambda: (t(B, HEADS, T, T, grad=True),), lambda s: torch.softmax(s, -1)
    yield "dropout 0.1 [8,12,128,128]", lambda: (t(B, HEADS, T, T, grad=True),), \
        lambda p: F.dropout(p, 0.1, True)
    yield "probs@v (bmm)", lambda: (t(B, HEADS, T, T, grad=True), t(B, HEADS, T, D, grad=True)), \
        lambda p, v: torch.matmul(p, v)
    yield "attention eager (qk, softmax, dropout, pv)", \
        lambda: (t(B, HEADS, T, D, grad=True), t(B, HEADS, T, D, grad=True), t(B, HEADS, T, D, grad=True)), \
        lambda q, k, v: torch.matmul(F.dropout(torch.softmax(torch.matmul(q * scale, k.transpose(-1, -2)) + mask, -1),
                                               0.1, True), v)
    yield "sdpa dropout 0.1", \
        lambda: (t(B, HEADS, T, D, grad=True), t(B, HEADS, T, D, grad=True), t(B, HEADS, T, D, grad=True)), \
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask, 0.1, scale=scale)
    yield "sdpa no dropout", \
        lambda: (t(B, HEADS, T, D, grad=True), t(B, HEADS, T, D, grad=True), t(B, HEADS, T, D, grad=True)), \
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask, 0.0, scale=scale)
    yield "head split+merge layout", lambda: (t(B, T, H, grad=True),), \
        lambda x: x.view(B, T, HEADS, D).transpose(1, 2).transpose(1, 2).reshape(B, T, H)
    yield "gelu [8,128,1536]", lambda: (t(B, T, FF, grad=True),), lambda x: F.gelu(x)
    yield "layer norm frozen", lambda: (t(B, T, H, grad=True), t(H), t(H)), \
        lambda x, w, b: F.layer_norm(x, (H,), w, b, 1e-12)
    yield "layer norm full", lambda: (t(B, T, H, grad=True), t(H, grad=True), t(H, grad=True)), \
        lambda x, w, b: F.layer_norm(x, (H,), w, b, 1e-12)
    yield "dropout 0.1 [8,128,384]", lambda: (t(B, T, H, grad=True),), lambda x: F.dropout(x, 0.1, True)
    yield "residual add", lambda: (t(B, T, H, grad=True), t(B, T, H, grad=True)), lambda x, y: x + y
    yield "lora branch (x A^T B^T s + base)", \
        lambda: (t(B, T, H, grad=True), t(R, H, grad=True), t(H, R, grad=True), t(B, T, H, grad=True)), \
        lambda x, a, b, base: base + F.linear(F.linear(x, a), b) * 2.0


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    for name, make, op in cases():
        inputs = make()
        grad = None
        samples = []
        for i in range(rounds + 2):
            start = time.thread_time_ns() if threads == 1 else time.process_time_ns()
            out = op(*inputs)
            if grad is None:
                grad = torch.randn_like(out)
            out.backward(grad)
            for x in inputs:
                x.grad = None
            elapsed = (time.thread_time_ns() if threads == 1 else time.process_time_ns()) - start
            if i >= 2:
                samples.append(elapsed / 1e6)
        print(json.dumps({"side": "torch " + torch.__version__, "op": name, "threads": threads,
                          "cpu_ms": round(statistics.median(samples), 3)}), flush=True)


if __name__ == "__main__":
    main()
