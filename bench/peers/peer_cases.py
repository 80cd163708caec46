"""One case of the peer comparison through PyTorch, PEFT and transformers, in its own process.

The same cases, shapes and thread count as io.github.djladapters.models.bench.PeerBenchmark:
  forward      all-MiniLM-L6-v2 shape (BertModel), batch 8 x 128, inference mode; --attn eager|sdpa
  lora-step    PEFT LoRA r=8, alpha 16 on query/value; loss = mean(last_hidden_state ** 2); backward;
               AdamW lr 1e-5; zero_grad
  full-step    the same with every parameter trained
  generate-b1  greedy generate, Llama-shaped 100 M model (hidden 768, 12 layers, 12 heads over 4 KV
  generate-b8  heads, SwiGLU 2048, vocab 32000, tied), prompt 32, 64 new tokens, batch 1 or 8
Weights are random (timings do not depend on their values). --device cuda runs on the GPU (each run
ends with torch.cuda.synchronize()). Prints one JSON line.

A measuring tool only: never a dependency of the build or of the tests.
"""
import argparse
import json
import random
import statistics
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


def rss_mb(field):
    """VmRSS or VmHWM of this process in MiB, from /proc/self/status."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return -1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("threads", type=int)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
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
    }
    run, tokens = cases[args.case]()
    base_rss = rss_mb("VmRSS")
    millis = []
    for round_ in range(-args.warmup, args.rounds):
        start = time.perf_counter()
        run()
        if DEVICE == "cuda":
            torch.cuda.synchronize()
        if round_ >= 0:
            millis.append((time.perf_counter() - start) * 1000)
    median = statistics.median(millis)
    import peft
    import transformers
    print(json.dumps({
        "side": "peer", "case": args.case, "threads": args.threads, "attn": args.attn,
        "median_ms": round(median, 1), "min_ms": round(min(millis), 1),
        "tokens_per_s": round(tokens / (median / 1000), 2) if tokens else 0,
        "peak_rss_mb": round(rss_mb("VmHWM")), "setup_rss_mb": round(base_rss),
        "device": torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu",
        "engine": f"PyTorch {torch.__version__}, transformers {transformers.__version__}, PEFT {peft.__version__}",
    }))


if __name__ == "__main__":
    main()
