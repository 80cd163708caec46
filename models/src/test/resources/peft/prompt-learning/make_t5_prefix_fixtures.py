"""Makes the T5 prefix-tuning fixtures: a tiny random T5 (t5-base/) and two PEFT prefix-tuning adapters
on it (SEQ_2_SEQ_LM, so num_transformer_submodules 2), without and with prefix_projection, each trained a
few steps, saved with save_pretrained(safe_serialization=True), reloaded into a fresh base with
PeftModel.from_pretrained, and the reloaded model's logits and greedy tokens written next to it.

    . /tmp/pyref/env.sh && python make_t5_prefix_fixtures.py OUT_DIR
"""
import json
import os
import shutil
import sys

import peft
import safetensors
import torch
import transformers
from peft import PeftModel, PrefixTuningConfig, TaskType, get_peft_model
from safetensors.torch import save_file
from transformers import T5Config, T5ForConditionalGeneration

OUT = sys.argv[1]
STEPS = 5
VERSIONS = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
            "safetensors": safetensors.__version__}
# 3 encoder and 3 decoder blocks: PEFT gives decoder block i the saved block 2i mod 3 (0, 2, 1), so the
# fixture tells that layout from "block i"; 8 buckets up to distance 20 so prefix distances reach the
# logarithmic buckets
BASE_CONFIG = dict(model_type="t5", architectures=["T5ForConditionalGeneration"], is_encoder_decoder=True,
                   vocab_size=48, d_model=16, d_kv=4, d_ff=24, num_layers=3, num_decoder_layers=3, num_heads=4,
                   relative_attention_num_buckets=8, relative_attention_max_distance=20, decoder_start_token_id=0,
                   pad_token_id=0, eos_token_id=1, dropout_rate=0.0, feed_forward_proj="gated-gelu",
                   tie_word_embeddings=False)
CASES = {
    # right-padded encoder batch (pad 0), decoder ids starting with decoder_start_token_id 0
    "input_ids": [[5, 9, 17, 33, 2, 1], [40, 3, 3, 12, 1, 0]],
    "attention_mask": [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]],
    "decoder_input_ids": [[0, 7, 21, 4, 30], [0, 30, 11, 2, 9]],
    # greedy generation of the same batch: 6 new tokens, no eos stop
    "max_new_tokens": 6,
}


def write_base(folder):
    torch.manual_seed(31)
    config = {k: v for k, v in BASE_CONFIG.items() if k != "model_type"}
    model = T5ForConditionalGeneration(T5Config(**config))
    state = {}
    for k, v in model.state_dict().items():
        if k in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight"):
            continue
        state[k] = 1 + 0.1 * torch.randn_like(v) if "layer_norm" in k else torch.randn_like(v) * 0.3
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(BASE_CONFIG, f, indent=2)
    save_file({k: v.contiguous() for k, v in state.items()}, os.path.join(folder, "model.safetensors"),
              metadata={"format": "pt"})


def base(folder):
    return T5ForConditionalGeneration.from_pretrained(folder).eval()


def tensors(name):
    return torch.tensor(CASES[name])


def forward(model):
    return model(input_ids=tensors("input_ids"), attention_mask=tensors("attention_mask"),
                 decoder_input_ids=tensors("decoder_input_ids")).logits


def greedy(model):
    """PEFT's generate (with the cache) and an uncached argmax loop over the whole decoder sequence."""
    ids, mask, steps = tensors("input_ids"), tensors("attention_mask"), CASES["max_new_tokens"]
    out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=steps, min_new_tokens=steps,
                         do_sample=False, num_beams=1, eos_token_id=None)
    cached = out[:, 1:].tolist()
    seq = torch.zeros(ids.shape[0], 1, dtype=torch.long)
    margin = float("inf")
    for _ in range(steps):
        logits = model(input_ids=ids, attention_mask=mask, decoder_input_ids=seq).logits[:, -1]
        top = logits.topk(2, dim=-1).values
        margin = min(margin, (top[:, 0] - top[:, 1]).min().item())
        seq = torch.cat([seq, logits.argmax(-1, keepdim=True)], 1)
    return cached, seq[:, 1:].tolist(), margin


def encoder_output(model):
    return model.get_encoder()(input_ids=tensors("input_ids"), attention_mask=tensors("attention_mask")).last_hidden_state


def train(model, steps=STEPS):
    """A few Adam steps towards a fixed random target of the logits, so the adapter is not its initialisation."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=0.05)
    with torch.no_grad():
        target = torch.randn_like(forward(model))
    for _ in range(steps):
        opt.zero_grad()
        loss = (forward(model) - target).pow(2).mean()
        loss.backward()
        opt.step()
    model.eval()


def make(name, base_dir, config, description, seed):
    torch.manual_seed(seed)
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)
    model = get_peft_model(base(base_dir), config)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    all_params = sum(p.numel() for p in model.parameters())
    train(model)
    with torch.no_grad():
        trained = forward(model)
    model.save_pretrained(folder, safe_serialization=True)
    os.remove(os.path.join(folder, "README.md"))
    cfg_path = os.path.join(folder, "adapter_config.json")
    cfg = json.load(open(cfg_path))
    cfg["base_model_name_or_path"] = "../t5-base"
    json.dump(cfg, open(cfg_path, "w"), indent=2, sort_keys=True)

    original = base(base_dir)
    reloaded = PeftModel.from_pretrained(base(base_dir), folder).eval()
    with torch.no_grad():
        base_logits = forward(original)
        logits = forward(reloaded)
        base_cached, base_uncached, _ = greedy(original)
        cached, uncached, margin = greedy(reloaded)
        encoder_diff = (encoder_output(reloaded) - encoder_output(original)).abs().max().item()
    checks = {
        "reload_max_abs_diff": (logits - trained).abs().max().item(),
        "adapter_vs_base_max_abs_diff": (logits - base_logits).abs().max().item(),
        "encoder_output_adapter_vs_base_max_abs_diff": encoder_diff,
        "peft_trainable_params": trainable,
        "peft_all_params": all_params,
        "generate_cached_equals_uncached": cached == uncached and base_cached == base_uncached,
        "min_top2_margin_adapter": margin,
    }
    record = {"name": name, "description": description, "versions": VERSIONS, "seed": seed,
              "training": f"{STEPS} Adam steps (lr 0.05) towards a fixed random target of the logits",
              "checks": checks, "generate_base": base_cached, "generate_adapter": cached}
    save_file({"base": base_logits.contiguous(), "adapter": logits.contiguous()},
              os.path.join(folder, "outputs.safetensors"), metadata={"format": "pt"})
    json.dump(record, open(os.path.join(folder, "outputs.json"), "w"), indent=1)
    print(name, json.dumps(checks))


def main():
    os.makedirs(OUT, exist_ok=True)
    base_dir = os.path.join(OUT, "t5-base")
    write_base(base_dir)
    json.dump({"t5": CASES, "versions": VERSIONS}, open(os.path.join(OUT, "t5-cases.json"), "w"), indent=1)
    s2s = TaskType.SEQ_2_SEQ_LM
    make("t5-prefix-tuning", base_dir, PrefixTuningConfig(task_type=s2s, num_virtual_tokens=4),
         "prefix tuning on T5 (SEQ_2_SEQ_LM, num_transformer_submodules 2), 4 virtual tokens", 41)
    make("t5-prefix-projection", base_dir,
         PrefixTuningConfig(task_type=s2s, num_virtual_tokens=4, prefix_projection=True, encoder_hidden_size=12),
         "prefix tuning on T5 with prefix_projection (MLP 16 -> 12 -> 2*3*16), 4 virtual tokens", 42)


if __name__ == "__main__":
    main()
