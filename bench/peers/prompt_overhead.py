"""What prompt tuning costs in PEFT itself: all-MiniLM-L6-v2's shape (BertModel), batch 8 x 128, inference,
eager attention, one PyTorch thread by default. Prints the median forward of the base model on 128 tokens,
of the base model on 128 + 20 tokens, and of PEFT prompt tuning with 20 virtual tokens, with the ratios, as
one JSON line; the counterpart of the prompt-20 and base-plus-20 rows of the MiniLM adapter benchmark.

    python bench/peers/prompt_overhead.py [threads] [rounds]

A measuring tool only: never a dependency of the build or of the tests.
"""
import json
import statistics
import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from peer_cases import BATCH, minilm  # noqa: E402

VIRTUAL = 20


def inputs(tokens):
    generator = torch.Generator().manual_seed(42)
    ids = torch.randint(1000, 30522, (BATCH, tokens), generator=generator)
    ids[:, 0], ids[:, -1] = 101, 102
    return dict(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=torch.zeros_like(ids))


def median_ms(model, batch, rounds):
    times = []
    with torch.inference_mode():
        for round_ in range(-2, rounds):
            start = time.perf_counter()
            model(**batch)
            if round_ >= 0:
                times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    from peft import PromptTuningConfig, get_peft_model
    base = minilm("eager").eval()
    prompted = get_peft_model(minilm("eager").eval(),
                              PromptTuningConfig(task_type="FEATURE_EXTRACTION", num_virtual_tokens=VIRTUAL)).eval()
    short, longer = inputs(128), inputs(128 + VIRTUAL)
    results = {"base": [], "base-plus-20": [], "prompt-20": []}
    for _ in range(3):  # interleaved, so that drift of the machine touches all three alike
        results["base"].append(median_ms(base, short, rounds))
        results["base-plus-20"].append(median_ms(base, longer, rounds))
        results["prompt-20"].append(median_ms(prompted, short, rounds))
    best = {k: min(v) for k, v in results.items()}
    import peft
    print(json.dumps({
        "threads": threads, "median_ms": {k: round(v, 1) for k, v in best.items()},
        "prompt-20 / base": round(best["prompt-20"] / best["base"], 3),
        "base-plus-20 / base": round(best["base-plus-20"] / best["base"], 3),
        "prompt-20 / base-plus-20": round(best["prompt-20"] / best["base-plus-20"], 3),
        "engine": f"PyTorch {torch.__version__}, PEFT {peft.__version__}",
    }))


if __name__ == "__main__":
    main()
