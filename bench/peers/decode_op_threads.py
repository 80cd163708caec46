"""How much of each op of a decoded token runs on the calling thread at two intra-op threads, through
this Python's PyTorch, at the `generate-b1`/`generate-b8` model's shapes: the peer half of
`DecodeOpThreadsBenchmark` (models test sources), which runs the same ops in libtorch 2.7.1 inside
TorchScript. The share is the calling thread's CPU time over the process's while a loop of the op runs
(1.0: one thread does it all; 0.5: both threads do equal work); CPU shares stay meaningful on a loaded
machine where wall times do not. Run with OMP_WAIT_POLICY=PASSIVE (spinning threads would count).

    OMP_WAIT_POLICY=PASSIVE python bench/peers/decode_op_threads.py [batch] [keys]
"""
import sys
import time

import torch
import torch.nn.functional as F

B = int(sys.argv[1]) if len(sys.argv) > 1 else 1
L = int(sys.argv[2]) if len(sys.argv) > 2 else 64


def cases():
    torch.manual_seed(0)
    x, g = torch.randn(B, 1, 768), torch.randn(B, 1, 2048)
    out = {}
    for name, (o, i) in {"768->768": (768, 768), "768->256": (256, 768), "768->2048": (2048, 768),
                         "2048->768": (768, 2048), "768->32000": (32000, 768)}.items():
        inp = g if i == 2048 else x
        stored_t, row_major = torch.randn(i, o).t(), torch.randn(o, i)
        out["linear stored-T " + name] = lambda inp=inp, w=stored_t: F.linear(inp, w)
        out["linear row-major " + name] = lambda inp=inp, w=row_major: F.linear(inp, w)
    w = torch.randn(768)
    out["rmsnorm"] = lambda: x / torch.sqrt(x.square().mean(-1, keepdim=True) + 1e-6) * w
    q, k = torch.randn(B, 12, 1, 64), torch.randn(B, 4, 1, 64)
    cos, sin = torch.randn(B, 1, 1, 64), torch.randn(B, 1, 1, 64)

    def rotary():
        q * cos + torch.cat([-q.narrow(3, 32, 32), q.narrow(3, 0, 32)], 3) * sin
        return k * cos + torch.cat([-k.narrow(3, 32, 32), k.narrow(3, 0, 32)], 3) * sin
    out["rotary q+k"] = rotary
    buffer = torch.randn(B, 4, L + 32, 64)

    def cache_write():
        buffer.narrow(2, L - 1, 1).copy_(k)
        buffer.narrow(2, L - 1, 1).copy_(k)
    out["cache write k+v"] = cache_write
    bias = torch.zeros(B, 1, 1, L)
    keys = buffer.narrow(2, 0, L)
    out["sdpa"] = lambda: F.scaled_dot_product_attention(q, keys, keys, bias, scale=0.125, enable_gqa=True)
    out["sdpa grouped"] = lambda: F.scaled_dot_product_attention(q.reshape(B, 4, -1, 64), keys, keys, bias,
                                                                 scale=0.125)
    out["silu*up"] = lambda: g * torch.sigmoid(g) * g
    logits = torch.randn(B, 1, 32000)
    out["argmax 32000"] = lambda: torch.argmax(logits, -1)
    return out


def main():
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, intra-op threads {torch.get_num_threads()}, batch {B}, keys {L}")
    with torch.inference_mode():
        for name, op in cases().items():
            reps = 100 if "32000" in name and "linear" in name else 1500
            op()
            p0, t0 = time.process_time(), time.thread_time()
            for _ in range(reps):
                op()
            p, t = time.process_time() - p0, time.thread_time() - t0
            print(f"{name:26s} share {t / p:.2f}  cpu {p / reps * 1e6:9.1f} us")


if __name__ == "__main__":
    main()
