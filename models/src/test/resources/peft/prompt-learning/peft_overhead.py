"""PEFT 0.21's prefix tuning and prompt tuning (20 virtual tokens) against the base forward of
all-MiniLM-L6-v2 on a batch of 8 x 128 random word pieces, interleaved rounds, median of per-round
ratios, each sample the fastest of 3 runs; torch on 2 threads."""
import random, statistics, sys, time
import torch
from peft import get_peft_model, PrefixTuningConfig, PromptTuningConfig, TaskType
from minilm_from_onnx import load_minilm

torch.set_num_threads(2)
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
onnx = sys.argv[1]
random.seed(42)
ids = torch.tensor([[101] + [1000 + random.randrange(30522 - 1000) for _ in range(126)] + [102] for _ in range(8)])
mask = torch.ones_like(ids)
base = load_minilm(onnx)
prefix = get_peft_model(load_minilm(onnx), PrefixTuningConfig(task_type=TaskType.FEATURE_EXTRACTION, num_virtual_tokens=20)).eval()
prompt = get_peft_model(load_minilm(onnx), PromptTuningConfig(task_type=TaskType.FEATURE_EXTRACTION, num_virtual_tokens=20)).eval()
variants = {"base": base, "prefix": prefix, "prompt": prompt}
times = {k: [] for k in variants}
with torch.inference_mode():
    for r in range(rounds + 2):
        for k, m in variants.items():
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter(); m(input_ids=ids, attention_mask=mask); best = min(best, time.perf_counter() - t)
            if r >= 2:
                times[k].append(best)
for k in ("prefix", "prompt"):
    print(k, "/ base", round(statistics.median([a / b for a, b in zip(times[k], times["base"])]), 3))
print("base median ms", round(1000 * statistics.median(times["base"]), 1))
