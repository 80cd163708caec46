"""Writes the hand-made corpus of bad files (run: python3 make_bad_files.py; plain Python 3).

safetensors/<case>.safetensors and adapter_config/<case>.json, each refused by the readers with a
message naming the file; expected.json maps every file to a fragment its error message must hold.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
expected = {}


def safetensors(name, header, data=b"", fragment="", raw_header=None, length=None):
    text = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":"))
    body = text.encode("utf-8")
    head = struct.pack("<Q", len(body) if length is None else length)
    write("safetensors", name + ".safetensors", head + body + data, fragment)


def write(folder, name, content, fragment):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "wb") as f:
        f.write(content)
    expected[folder + "/" + name] = fragment


F32 = lambda shape, begin, end: {"dtype": "F32", "shape": shape, "data_offsets": [begin, end]}

write("safetensors", "empty.safetensors", b"", "shorter than the 8-byte header length")
write("safetensors", "seven-bytes.safetensors", b"\x01" * 7, "shorter than the 8-byte header length")
safetensors("length-zero", {}, fragment="does not fit", length=0)
safetensors("length-past-end", {"a": F32([1], 0, 4)}, b"\0" * 4, "does not fit", length=10_000)
safetensors("length-huge", {}, fragment="does not fit", length=2**63 - 1)
safetensors("length-negative", {}, fragment="does not fit", length=2**64 - 8)
safetensors("header-not-json", None, raw_header="{not json", fragment="not valid JSON")
safetensors("header-array", None, raw_header="[1, 2, 3]", fragment="not a JSON object")
safetensors("header-string", None, raw_header='"tensors"', fragment="not a JSON object")
safetensors("header-null", None, raw_header="null", fragment="not a JSON object")
safetensors("entry-not-object", {"a": [1, 2]}, fragment="tensor 'a': header entry is not a JSON object")
safetensors("dtype-missing", {"a": {"shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, "tensor 'a': missing dtype")
safetensors("dtype-number", {"a": {"dtype": 7, "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, "missing dtype")
safetensors("dtype-unknown", {"a": {"dtype": "F12", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4,
            "unknown dtype 'F12'")
safetensors("shape-missing", {"a": {"dtype": "F32", "data_offsets": [0, 4]}}, b"\0" * 4, "missing shape")
safetensors("shape-object", {"a": {"dtype": "F32", "shape": {"0": 1}, "data_offsets": [0, 4]}}, b"\0" * 4,
            "missing shape")
safetensors("shape-negative", {"a": F32([-1], 0, 4)}, b"\0" * 4, "invalid dimension")
safetensors("shape-fraction", {"a": F32([1.5], 0, 4)}, b"\0" * 4, "invalid dimension")
safetensors("shape-string", {"a": F32(["2"], 0, 8)}, b"\0" * 8, "invalid dimension")
safetensors("shape-overflow", {"a": F32([2**62, 2**62], 0, 4)}, b"\0" * 4, "more elements than a long")
safetensors("bytes-overflow", {"a": F32([2**62], 0, 4)}, b"\0" * 4, "more bytes than a long")
safetensors("offsets-missing", {"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4, "data_offsets must be")
safetensors("offsets-one", {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}, b"\0" * 4,
            "data_offsets must be")
safetensors("offsets-strings", {"a": {"dtype": "F32", "shape": [1], "data_offsets": ["0", "4"]}}, b"\0" * 4,
            "data_offsets must be")
safetensors("offsets-negative", {"a": F32([1], -4, 0)}, b"\0" * 4, "outside the data area")
safetensors("offsets-reversed", {"a": F32([1], 4, 0)}, b"\0" * 4, "outside the data area")
safetensors("offsets-past-end", {"a": F32([2], 0, 8)}, b"\0" * 4, "outside the data area")
safetensors("size-mismatch", {"a": F32([3], 0, 8)}, b"\0" * 8, "needs 12 bytes but data_offsets span 8")
safetensors("overlap", {"a": F32([2], 0, 8), "b": F32([2], 4, 12)}, b"\0" * 12, "overlaps tensor 'a'")
safetensors("duplicate-key", None, raw_header='{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
            '"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data=b"\0" * 8, fragment="Duplicate field 'a'")
safetensors("metadata-array", {"__metadata__": [1], "a": F32([1], 0, 4)}, b"\0" * 4,
            "__metadata__ is not a JSON object")
safetensors("metadata-number-value", {"__metadata__": {"format": 1}, "a": F32([1], 0, 4)}, b"\0" * 4,
            "__metadata__ value of 'format' is not a string")
safetensors("bf16-size-mismatch", {"a": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 4]}}, b"\0" * 4,
            "needs 8 bytes")
safetensors("header-truncated-utf8", None, raw_header='{"a\u00e9', fragment="not valid JSON")

GOOD = {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"],
        "lora_dropout": 0.0, "bias": "none", "task_type": None}


def config(name, fragment, change=None, raw=None):
    if raw is None:
        c = dict(GOOD)
        c.update(change)
        c = {k: v for k, v in c.items() if v != "__drop__"}
        raw = json.dumps(c)
    write("adapter_config", name + ".json", raw.encode("utf-8"), fragment)


config("not-json", "not valid JSON", raw='{"r": 2,')
config("array", "not a JSON object", raw="[]")
config("string", "not a JSON object", raw='"LORA"')
config("null", "not a JSON object", raw="null")
config("empty", "not a JSON object", raw="")
config("peft-type-unknown", "key 'peft_type' is 'BOFT'", {"peft_type": "BOFT"})
config("peft-type-number", "peft_type", {"peft_type": 3})
config("peft-type-missing", "peft_type", {"peft_type": "__drop__"})
config("r-zero", "r must be positive, got 0", {"r": 0})
config("r-negative", "r must be positive, got -2", {"r": -2})
config("r-huge", "'r'", {"r": 10_000_000_000})
config("r-string", "key 'r'", {"r": "eight"})
config("r-fraction", "2.5", {"r": 2.5})
config("alpha-string", "lora_alpha", {"lora_alpha": "sixteen"})
config("target-missing", "key 'target_modules' is missing", {"target_modules": "__drop__"})
config("target-null", "key 'target_modules' is missing", {"target_modules": None})
config("target-number", "target_modules", {"target_modules": 5})
config("target-bad-regex", "key 'target_modules': Unclosed character class", {"target_modules": "q_proj(["})
config("target-none-match", "target_modules", {"target_modules": ["no_such_module"]})
config("dropout-above-one", "lora_dropout", {"lora_dropout": 2.0})
config("dropout-negative", "lora_dropout", {"lora_dropout": -0.5})
config("dora-string", "use_dora", {"use_dora": "yes"})
config("fan-in-string", "fan_in_fan_out", {"fan_in_fan_out": "no"})
config("lora-bias", "key 'lora_bias' is true", {"lora_bias": True})
config("bias-unknown", "bias", {"bias": "most"})
config("layers-negative", "layers_to_transform", {"layers_to_transform": [-1]})
config("layers-past-end", "selects no module", {"layers_to_transform": [99]})
config("rank-pattern-array", "rank_pattern", {"rank_pattern": [1, 2]})
config("rank-pattern-zero", "rank_pattern", {"rank_pattern": {"q_proj": 0}})
config("alpha-pattern-string", "alpha_pattern", {"alpha_pattern": {"q_proj": "big"}})
config("modules-to-save-number", "modules_to_save", {"modules_to_save": 7})
config("ia3-feedforward-not-target", "must be a subset of target_modules",
       {"peft_type": "IA3", "r": "__drop__", "lora_alpha": "__drop__", "lora_dropout": "__drop__",
        "bias": "__drop__", "target_modules": ["q_proj"], "feedforward_modules": ["down_proj"]})

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
print(len(expected), "files")
