"""Makes the T5 prompt-tuning and P-tuning fixtures: PEFT adapters (SEQ_2_SEQ_LM, so
num_transformer_submodules 2) on the tiny random T5 of t5-base/ (written by make_t5_prefix_fixtures.py),
each trained a few steps, saved with save_pretrained(safe_serialization=True), reloaded into a fresh base
with PeftModel.from_pretrained, and the reloaded model's logits and greedy tokens written next to it.

    . /tmp/pyref/env.sh && python make_t5_prompt_fixtures.py OUT_DIR

OUT_DIR must hold t5-base/ and t5-cases.json (this folder does).
"""
import json
import os
import shutil
import sys

import peft
import safetensors
import torch
import transformers
from peft import PeftModel, PromptEncoderConfig, PromptTuningConfig, TaskType, get_peft_model
from safetensors.torch import save_file
from transformers import T5EncoderModel, T5ForConditionalGeneration

OUT = sys.argv[1]
STEPS = 5
VERSIONS = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
            "safetensors": safetensors.__version__}
CASES = json.load(open(os.path.join(OUT, "t5-cases.json")))["t5"]
BASE_DIR = os.path.join(OUT, "t5-base")


def base():
    return T5ForConditionalGeneration.from_pretrained(BASE_DIR).eval()


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


def make(name, config, description, seed, save_encoder=False):
    torch.manual_seed(seed)
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)
    model = get_peft_model(base(), config)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    all_params = sum(p.numel() for p in model.parameters())
    initial = model.get_prompt_embedding_to_save("default").clone()
    train(model)
    with torch.no_grad():
        trained = forward(model)
    model.save_pretrained(folder, safe_serialization=True)
    if save_encoder:
        # the trained reparameterization itself (PEFT saves only its output, prompt_embeddings)
        state = {k: v.detach().contiguous() for k, v in model.prompt_encoder["default"].state_dict().items()}
        save_file(state, os.path.join(folder, "prompt_encoder.safetensors"), metadata={"format": "pt"})
    saved = model.get_prompt_embedding_to_save("default")
    n = config.num_virtual_tokens
    os.remove(os.path.join(folder, "README.md"))
    cfg_path = os.path.join(folder, "adapter_config.json")
    cfg = json.load(open(cfg_path))
    cfg["base_model_name_or_path"] = "../t5-base"
    json.dump(cfg, open(cfg_path, "w"), indent=2, sort_keys=True)

    original = base()
    reloaded = PeftModel.from_pretrained(base(), folder).eval()
    with torch.no_grad():
        base_logits = forward(original)
        logits = forward(reloaded)
        base_cached, base_uncached, _ = greedy(original)
        cached, uncached, margin = greedy(reloaded)
        # what the encoder reads: the first n rows of the table, then the word embeddings
        embeds = torch.cat((saved[:n].unsqueeze(0).expand(2, -1, -1), original.shared(tensors("input_ids"))), 1)
        ext_mask = torch.cat((torch.ones(2, n, dtype=torch.long), tensors("attention_mask")), 1)
        direct = original(inputs_embeds=embeds, attention_mask=ext_mask,
                          decoder_input_ids=tensors("decoder_input_ids")).logits
    checks = {
        "reload_max_abs_diff": (logits - trained).abs().max().item(),
        "adapter_vs_base_max_abs_diff": (logits - base_logits).abs().max().item(),
        "first_n_rows_before_input_max_abs_diff": (logits - direct).abs().max().item(),
        "saved_rows": list(saved.shape),
        "unused_rows_changed_by_training": (saved[n:] - initial[n:]).abs().max().item(),
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


def make_encoder_only(name, config, description, seed):
    """PEFT's FEATURE_EXTRACTION on T5EncoderModel (num_transformer_submodules 1): last_hidden_state
    [2, n + 6, 16], the virtual positions first."""
    torch.manual_seed(seed)
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)

    def encoder():
        return T5EncoderModel.from_pretrained(BASE_DIR).eval()

    def run(model):
        return model(input_ids=tensors("input_ids"), attention_mask=tensors("attention_mask")).last_hidden_state

    model = get_peft_model(encoder(), config)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    model.train()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.05)
    with torch.no_grad():
        target = torch.randn_like(run(model))
    for _ in range(STEPS):
        opt.zero_grad()
        (run(model) - target).pow(2).mean().backward()
        opt.step()
    model.eval()
    model.save_pretrained(folder, safe_serialization=True)
    os.remove(os.path.join(folder, "README.md"))
    cfg_path = os.path.join(folder, "adapter_config.json")
    cfg = json.load(open(cfg_path))
    cfg["base_model_name_or_path"] = "../t5-base"
    json.dump(cfg, open(cfg_path, "w"), indent=2, sort_keys=True)
    reloaded = PeftModel.from_pretrained(encoder(), folder).eval()
    with torch.no_grad():
        base_out = run(encoder())
        out = run(reloaded)
    checks = {"peft_trainable_params": trainable, "output_shape": list(out.shape),
              "num_transformer_submodules": reloaded.peft_config["default"].num_transformer_submodules}
    record = {"name": name, "description": description, "versions": VERSIONS, "seed": seed,
              "training": f"{STEPS} Adam steps (lr 0.05) towards a fixed random target of the output",
              "checks": checks}
    save_file({"base": base_out.contiguous(), "adapter": out.contiguous()},
              os.path.join(folder, "outputs.safetensors"), metadata={"format": "pt"})
    json.dump(record, open(os.path.join(folder, "outputs.json"), "w"), indent=1)
    print(name, json.dumps(checks))


def main():
    s2s = TaskType.SEQ_2_SEQ_LM
    make("t5-prompt-tuning", PromptTuningConfig(task_type=s2s, num_virtual_tokens=4),
         "prompt tuning on T5 (SEQ_2_SEQ_LM, num_transformer_submodules 2), 4 virtual tokens", 51)
    make("t5-p-tuning-mlp", PromptEncoderConfig(task_type=s2s, num_virtual_tokens=4, encoder_hidden_size=12),
         "P-tuning on T5 with the MLP encoder (16 -> 12 -> 12 -> 16), 4 virtual tokens", 52, save_encoder=True)
    make("t5-p-tuning-lstm", PromptEncoderConfig(task_type=s2s, num_virtual_tokens=4, encoder_hidden_size=6,
                                                 encoder_reparameterization_type="LSTM"),
         "P-tuning on T5 with the LSTM encoder (2 bidirectional layers of 6, MLP 12 -> 12 -> 16), 4 virtual tokens",
         53, save_encoder=True)
    make_encoder_only("t5-encoder-prompt-tuning",
                      PromptTuningConfig(task_type=TaskType.FEATURE_EXTRACTION, num_virtual_tokens=4),
                      "prompt tuning on T5EncoderModel (FEATURE_EXTRACTION, one submodule), 4 virtual tokens", 54)


if __name__ == "__main__":
    main()
