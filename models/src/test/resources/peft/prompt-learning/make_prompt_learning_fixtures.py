"""Makes the prompt-learning fixtures: PEFT prompt tuning, P-tuning and prefix tuning adapters on
all-MiniLM-L6-v2 (BertModel, FEATURE_EXTRACTION), the tiny GPT-2 and the tiny Llama (CAUSAL_LM),
each trained a few steps, saved with save_pretrained(safe_serialization=True), reloaded into a
fresh base with PeftModel.from_pretrained, and the reloaded model's outputs written next to it.

    . /tmp/pyref/env.sh && python make_prompt_learning_fixtures.py OUT_DIR MINILM_ONNX MINILM_TOKENIZER_JSON DECODER_BASES_DIR

DECODER_BASES_DIR holds gpt2-tiny/base and llama-tiny/base (config.json + model.safetensors).
"""
import json
import os
import shutil
import sys
import tempfile

import peft
import safetensors
import torch
import transformers
from peft import (PeftModel, PrefixTuningConfig, PromptEncoderConfig, PromptTuningConfig, TaskType,
                  get_peft_model)
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

from minilm_from_onnx import load_minilm

OUT, ONNX, TOKENIZER_JSON, DECODERS = sys.argv[1:5]
STEPS = 5
VERSIONS = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
            "safetensors": safetensors.__version__}

BERT_CASES = {
    "texts": ["Low-rank adaptation adds a small trainable update to frozen weights.", "hello"],
    # right-padded batch of two, from the bert-lora fixture
    "input_ids": [[101, 2659, 1011, 4635, 6789, 9909, 1037, 2235, 3345, 3085, 10651, 2000, 7708, 15871, 1012, 102],
                  [101, 7592, 102, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    "attention_mask": [[1] * 16, [1, 1, 1] + [0] * 13],
    "token_type_ids": [[0] * 16, [0] * 16],
}
DECODER_CASES = {
    # right-padded batch for logits; pad id 0
    "input_ids": [[1, 5, 17, 33, 9, 64, 100, 7], [1, 20, 21, 22, 0, 0, 0, 0]],
    "attention_mask": [[1] * 8, [1, 1, 1, 1, 0, 0, 0, 0]],
    # each prompt generated alone (no padding): 8 greedy tokens, no eos stop
    "generate_prompts": [[1, 5, 17, 33, 9, 64, 100, 7], [1, 20, 21, 22], [1, 90, 3, 45, 45, 12, 77, 101, 8, 60, 2, 31]],
    "max_new_tokens": 8,
}


def minilm():
    return load_minilm(ONNX)


def decoder(name):
    return AutoModelForCausalLM.from_pretrained(os.path.join(DECODERS, name, "base")).eval()


def bert_tokenizer_dir():
    d = tempfile.mkdtemp()
    PreTrainedTokenizerFast(tokenizer_file=TOKENIZER_JSON, cls_token="[CLS]", sep_token="[SEP]",
                            pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]").save_pretrained(d)
    return d


def bert_forward(model):
    c = BERT_CASES
    return model(input_ids=torch.tensor(c["input_ids"]), attention_mask=torch.tensor(c["attention_mask"]),
                 token_type_ids=torch.tensor(c["token_type_ids"])).last_hidden_state


def decoder_forward(model):
    c = DECODER_CASES
    return model(input_ids=torch.tensor(c["input_ids"]), attention_mask=torch.tensor(c["attention_mask"])).logits


def greedy(model):
    """PEFT's generate (with the cache), and an uncached argmax loop as a cross-check."""
    c = DECODER_CASES
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = 0
    cached, uncached = [], []
    for prompt in c["generate_prompts"]:
        ids = torch.tensor([prompt])
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                             max_new_tokens=c["max_new_tokens"], do_sample=False)
        cached.append(out[0, len(prompt):].tolist())
        seq = ids
        for _ in range(c["max_new_tokens"]):
            logits = model(input_ids=seq, attention_mask=torch.ones_like(seq)).logits
            seq = torch.cat([seq, logits[:, -1].argmax(-1, keepdim=True)], 1)
        uncached.append(seq[0, len(prompt):].tolist())
    return cached, uncached


def min_top2_margin(model):
    """Smallest gap between the two best logits at any greedy step (how robust greedy tokens are)."""
    c = DECODER_CASES
    margin = float("inf")
    for prompt in c["generate_prompts"]:
        seq = torch.tensor([prompt])
        for _ in range(c["max_new_tokens"]):
            logits = model(input_ids=seq, attention_mask=torch.ones_like(seq)).logits[0, -1]
            top = logits.topk(2).values
            margin = min(margin, (top[0] - top[1]).item())
            seq = torch.cat([seq, logits.argmax().view(1, 1)], 1)
    return margin


def train(model, forward, steps=STEPS):
    """A few Adam steps towards a fixed random target, so the adapter is not its initialisation."""
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


def trainable(model):
    t = sum(p.numel() for p in model.parameters() if p.requires_grad)
    a = sum(p.numel() for p in model.parameters())
    return t, a


def make(name, kind, base_factory, config, description, seed, forward, tokenizer_note=None, steps=STEPS,
         save_encoder=False):
    torch.manual_seed(seed)
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)
    base = base_factory()
    with torch.no_grad():
        base_out = forward(base)
    model = get_peft_model(base, config)
    trainable_params, all_params = trainable(model)
    if steps:
        train(model, forward, steps)
    with torch.no_grad():
        trained_out = forward(model)
    model.save_pretrained(folder, safe_serialization=True)
    if save_encoder:
        # the trained reparameterization itself (PEFT saves only its output, prompt_embeddings)
        state = {k: v.detach().contiguous() for k, v in model.prompt_encoder["default"].state_dict().items()}
        save_file(state, os.path.join(folder, "prompt_encoder.safetensors"), metadata={"format": "pt"})
    os.remove(os.path.join(folder, "README.md"))
    cfg_path = os.path.join(folder, "adapter_config.json")
    cfg = json.load(open(cfg_path))
    cfg["base_model_name_or_path"] = "sentence-transformers/all-MiniLM-L6-v2" if kind == "bert" else "../base"
    json.dump(cfg, open(cfg_path, "w"), indent=2, sort_keys=True)

    reloaded = PeftModel.from_pretrained(base_factory(), folder).eval()
    with torch.no_grad():
        out = forward(reloaded)
    tensors = {"base": base_out.contiguous(), "adapter": out.contiguous()}
    checks = {
        "adapter_vs_base_max_abs_diff": None,
        "reload_max_abs_diff": (out - trained_out).abs().max().item(),
        "peft_trainable_params": trainable_params,
        "peft_all_params": all_params,
    }
    if base_out.shape == out.shape:
        checks["adapter_vs_base_max_abs_diff"] = (out - base_out).abs().max().item()
    else:
        n = out.shape[1] - base_out.shape[1]
        checks["adapter_vs_base_max_abs_diff"] = (out[:, n:] - base_out).abs().max().item()
    record = {"name": name, "description": description, "versions": VERSIONS, "seed": seed,
              "training": f"{steps} Adam steps (lr 0.05) towards a fixed random target of the output" if steps
              else "none: the adapter as initialised", "checks": checks}
    if tokenizer_note:
        record.update(tokenizer_note)
    if kind == "decoder":
        with torch.no_grad():
            record["generate_base"], _ = greedy(base_factory())
            cached, uncached = greedy(reloaded)
            record["generate_adapter"] = cached
            checks["generate_cached_equals_uncached"] = cached == uncached
            checks["min_top2_margin_adapter"] = min_top2_margin(reloaded)
    save_file(tensors, os.path.join(folder, "outputs.safetensors"), metadata={"format": "pt"})
    json.dump(record, open(os.path.join(folder, "outputs.json"), "w"), indent=1)
    print(name, json.dumps(checks))


def main():
    os.makedirs(OUT, exist_ok=True)
    json.dump({"bert": BERT_CASES, "decoders": DECODER_CASES, "versions": VERSIONS},
              open(os.path.join(OUT, "cases.json"), "w"), indent=1)
    fe, lm = TaskType.FEATURE_EXTRACTION, TaskType.CAUSAL_LM
    tok = bert_tokenizer_dir()
    init_text = "Classify the sentiment"
    text_ids = PreTrainedTokenizerFast.from_pretrained(tok)(init_text)["input_ids"]

    # all-MiniLM-L6-v2, last_hidden_state
    make("bert-prompt-tuning", "bert", minilm,
         PromptTuningConfig(task_type=fe, num_virtual_tokens=4), "prompt tuning, RANDOM init, 4 virtual tokens",
         11, bert_forward)
    make("bert-prompt-tuning-text", "bert", minilm,
         PromptTuningConfig(task_type=fe, num_virtual_tokens=10, prompt_tuning_init="TEXT",
                            prompt_tuning_init_text=init_text, tokenizer_name_or_path=tok),
         f"prompt tuning, TEXT init from '{init_text}', 10 virtual tokens, untrained: prompt_embeddings are "
         "the word embeddings of the text's token ids (with [CLS]/[SEP]) repeated to 10",
         12, bert_forward, {"init_text": init_text, "init_token_ids": text_ids}, steps=0)
    make("bert-p-tuning-mlp", "bert", minilm,
         PromptEncoderConfig(task_type=fe, num_virtual_tokens=4, encoder_hidden_size=32),
         "P-tuning, MLP reparameterization, encoder_hidden_size 32, 4 virtual tokens", 13, bert_forward)
    make("bert-p-tuning-lstm", "bert", minilm,
         PromptEncoderConfig(task_type=fe, num_virtual_tokens=4, encoder_hidden_size=16,
                             encoder_reparameterization_type="LSTM"),
         "P-tuning, LSTM reparameterization (2 bidirectional layers), encoder_hidden_size 16, 4 virtual tokens",
         14, bert_forward)
    make("bert-prefix-tuning", "bert", minilm,
         PrefixTuningConfig(task_type=fe, num_virtual_tokens=4), "prefix tuning, 4 virtual tokens", 15, bert_forward)
    make("bert-prefix-projection", "bert", minilm,
         PrefixTuningConfig(task_type=fe, num_virtual_tokens=4, prefix_projection=True, encoder_hidden_size=16),
         "prefix tuning with prefix_projection (MLP 384 -> 16 -> 2*6*384), 4 virtual tokens", 16, bert_forward)

    for model_name in ("gpt2-tiny", "llama-tiny"):
        factory = lambda m=model_name: decoder(m)
        short = model_name.split("-")[0]
        make(f"{short}-prompt-tuning", "decoder", factory,
             PromptTuningConfig(task_type=lm, num_virtual_tokens=6), "prompt tuning, RANDOM init, 6 virtual tokens",
             21, decoder_forward)
        make(f"{short}-p-tuning-mlp", "decoder", factory,
             PromptEncoderConfig(task_type=lm, num_virtual_tokens=6, encoder_hidden_size=32),
             "P-tuning, MLP reparameterization, encoder_hidden_size 32, 6 virtual tokens", 22, decoder_forward,
             save_encoder=short == "gpt2")
        if short == "gpt2":
            make("gpt2-p-tuning-lstm", "decoder", factory,
                 PromptEncoderConfig(task_type=lm, num_virtual_tokens=6, encoder_hidden_size=8,
                                     encoder_reparameterization_type="LSTM"),
                 "P-tuning, LSTM reparameterization (2 bidirectional layers), encoder_hidden_size 8, "
                 "6 virtual tokens", 25, decoder_forward, save_encoder=True)
        make(f"{short}-prefix-tuning", "decoder", factory,
             PrefixTuningConfig(task_type=lm, num_virtual_tokens=6), "prefix tuning, 6 virtual tokens", 23,
             decoder_forward)
        make(f"{short}-prefix-projection", "decoder", factory,
             PrefixTuningConfig(task_type=lm, num_virtual_tokens=6, prefix_projection=True, encoder_hidden_size=16),
             "prefix tuning with prefix_projection (encoder_hidden_size 16), 6 virtual tokens", 24, decoder_forward,
             save_encoder=short == "gpt2")


if __name__ == "__main__":
    main()
