"""One case of the peer comparison through PyTorch, PEFT and transformers, in its own process.

The same cases, shapes and thread count as io.github.djladapters.models.bench.PeerBenchmark:
  forward      all-MiniLM-L6-v2 shape (BertModel), batch 8 x 128, inference mode; --attn eager|sdpa
  lora-step    PEFT LoRA r=8, alpha 16 on query/value; loss = mean(last_hidden_state ** 2); backward;
               AdamW lr 1e-5; zero_grad
  full-step    the same with every parameter trained
  generate-b1  greedy generate, Llama-shaped 100 M model (hidden 768, 12 layers, 12 heads over 4 KV
  generate-b8  heads, SwiGLU 2048, vocab 32000, tied), prompt 32, 64 new tokens, batch 1 or 8
  matmul       one 2048 x 2048 by 2048 x 2048 product (shows whether a second thread is really used)
Weights are random (timings do not depend on their values). --device cuda runs on the GPU (each run
ends with torch.cuda.synchronize() before the clock stops).

Two modes, the same protocol as PeerRounds.java on the Java side (bench/peers/interleave.py drives both):
  --mode rounds   set up, warm up, print {"event": "ready", ...}; then one round per line "round" (one
                  run) or "round N" (N runs back to back) on stdin, answered by {"event": "round",
                  "round": i, "runs": N, "ms": .., "tokens_per_s": .., "cpu_ms": .., "busy_threads": ..}
                  (wall time per run and CPU time of the whole process per run, the means over the N runs,
                  and how many threads did at least a quarter of the busiest one's work); "quit" or the
                  end of stdin ends it
  --mode memory   set up, reset the peak resident set (VmHWM) to the current one, run --steps runs, print
                  {"event": "memory", "peak_above_load_mb": .., ...}: peak resident memory above the
                  loaded state, in a fresh process
Every line on stdout is one JSON object.

A measuring tool only: never a dependency of the build or of the tests.
"""
import argparse
import json
import os
import random
import sys
import time

import torch

BATCH, TOKENS, PROMPT, NEW_TOKENS = 8, 128, 32, 64


def minilm(attn):
    from transformers import BertConfig, BertModel
    config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                        intermediate_size=1536, max_position_embeddings=512, attn_implementation=attn)
    return BertModel(config, add_pooling_layer=False)


DEVICE = "cpu"


def token_ids():
    rng = random.Random(42)
    rows = [[101] + [rng.randrange(1000, 30522) for _ in range(TOKENS - 2)] + [102] for _ in range(BATCH)]
    ids = torch.tensor(rows)
    return dict(input_ids=ids.to(DEVICE), attention_mask=torch.ones_like(ids).to(DEVICE),
                token_type_ids=torch.zeros_like(ids).to(DEVICE))


def forward_case(attn):
    model = minilm(attn).eval().to(DEVICE)
    inputs = token_ids()

    def run():
        with torch.inference_mode():
            model(**inputs)
    return run, 0


def training_case(lora, attn):
    model = minilm(attn).train().to(DEVICE)
    if lora:
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value"]))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    inputs = token_ids()

    def run():
        out = model(**inputs).last_hidden_state
        out.pow(2).mean().backward()
        optimizer.step()
        optimizer.zero_grad()
    return run, 0


def generate_case(batch):
    from transformers import LlamaConfig, LlamaForCausalLM
    config = LlamaConfig(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=12,
                         num_attention_heads=12, num_key_value_heads=4, head_dim=64, rms_norm_eps=1e-6,
                         rope_theta=10000.0, tie_word_embeddings=True, bos_token_id=1, eos_token_id=None,
                         pad_token_id=0)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval().to(DEVICE)
    rng = random.Random(1)
    ids = torch.tensor([[rng.randrange(3, 32000) for _ in range(PROMPT)] for _ in range(batch)]).to(DEVICE)

    def run():
        with torch.inference_mode():
            model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                           max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, eos_token_id=None, pad_token_id=0)
    return run, batch * NEW_TOKENS


def matmul_case():
    left = torch.randn(2048, 2048, device=DEVICE)
    right = torch.randn(2048, 2048, device=DEVICE)

    def run():
        with torch.inference_mode():
            torch.matmul(left, right)
    return run, 0


def rss_mb(field):
    """VmRSS or VmHWM of this process in MiB, from /proc/self/status."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return -1


def reset_peak_rss():
    """Sets VmHWM to the current VmRSS (Linux 4.0 and later); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def run_once(run):
    run()
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def emit(line):
    print(json.dumps(line), flush=True)


def thread_ticks():
    """CPU time (user + system, clock ticks) of each thread of this process, from /proc/self/task."""
    ticks = {}
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return ticks
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        ticks[task] = int(fields[11]) + int(fields[12])
    return ticks


def busy_threads(before, after):
    """Threads whose CPU time grew by at least a quarter of the busiest thread's growth (as PeerRounds.java)."""
    grown = [ticks - before.get(thread, 0) for thread, ticks in after.items()]
    most = max(grown, default=0)
    return 0 if most <= 0 else sum(1 for ticks in grown if 4 * ticks >= most)


def runs_of(command):
    """The runs a "round" or "round N" line asks for (as PeerRounds.runsOf)."""
    words = command.split()
    if not words or words[0] != "round" or len(words) > 2:
        raise SystemExit(f"unknown command '{command}' on stdin: expected round, round N or quit")
    if len(words) == 1:
        return 1
    if not words[1].isdigit() or int(words[1]) < 1:
        raise SystemExit(f"bad run count in '{command}' on stdin: expected a whole number of at least 1")
    return int(words[1])


def serve(run, tokens):
    """Answers "round" and "round N" lines on stdin until "quit" or the end of stdin: the wall and CPU time
    per run, the mean over the round's N runs."""
    index = 0
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        runs = runs_of(command)
        ticks_before = thread_ticks()
        cpu_start = time.process_time()
        start = time.perf_counter()
        for _ in range(runs):
            run_once(run)
        millis = (time.perf_counter() - start) * 1000 / runs
        cpu_millis = (time.process_time() - cpu_start) * 1000 / runs
        busy = busy_threads(ticks_before, thread_ticks())
        emit({"event": "round", "round": index, "runs": runs, "ms": millis,
              "tokens_per_s": tokens / (millis / 1000) if tokens else 0.0, "cpu_ms": cpu_millis,
              "busy_threads": busy})
        index += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=["forward", "lora-step", "full-step", "generate-b1", "generate-b8", "matmul"])
    parser.add_argument("threads", type=int)
    parser.add_argument("--mode", default="rounds", choices=["rounds", "memory"])
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs before the ready line (rounds)")
    parser.add_argument("--steps", type=int, default=3, help="runs after the peak reset (memory)")
    parser.add_argument("--attn", default="eager", choices=["eager", "sdpa"])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    cases = {
        "forward": lambda: forward_case(args.attn),
        "lora-step": lambda: training_case(True, args.attn),
        "full-step": lambda: training_case(False, args.attn),
        "generate-b1": lambda: generate_case(1),
        "generate-b8": lambda: generate_case(BATCH),
        "matmul": matmul_case,
    }
    run, tokens = cases[args.case]()
    import peft
    import transformers
    line = {
        "side": "peer", "case": args.case, "threads": args.threads, "attn": args.attn,
        "torch_threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
        "device": torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu",
        "engine": f"PyTorch {torch.__version__}, transformers {transformers.__version__}, PEFT {peft.__version__}",
    }
    if args.mode == "memory":
        loaded = rss_mb("VmRSS")
        reset = reset_peak_rss()
        for _ in range(args.steps):
            run_once(run)
        peak = rss_mb("VmHWM")
        emit({**line, "event": "memory", "steps": args.steps, "loaded_rss_mb": loaded, "peak_rss_mb": peak,
              "peak_above_load_mb": peak - loaded, "peak_reset": reset,
              "malloc_env": {k: os.environ.get(k, "None") for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_ARENA_MAX")}})
        return
    for _ in range(args.warmup):
        run_once(run)
    emit({**line, "event": "ready"})
    serve(run, tokens)


if __name__ == "__main__":
    main()
