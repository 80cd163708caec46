"""Rebuilds all-MiniLM-L6-v2 as a transformers BertModel from the ONNX export on Maven Central.

The ONNX file keeps Hugging Face names for embeddings, LayerNorms and biases; the 36 linear weights
are anonymous MatMul initializers stored [in, out]: each feeds one MatMul whose output goes into an
Add with the named bias, so the weight is that bias's name with .bias -> .weight, transposed.
"""
import struct
import numpy as np
import torch
from transformers import BertConfig, BertModel


def _varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    """Yields (field number, wire type, value) of one protobuf message."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 1:
            val = buf[pos:pos + 8]; pos += 8
        elif wt == 2:
            n, pos = _varint(buf, pos)
            val = buf[pos:pos + n]; pos += n
        elif wt == 5:
            val = buf[pos:pos + 4]; pos += 4
        else:
            raise ValueError(f"wire type {wt}")
        yield num, wt, val


def _tensor(buf):
    dims, dtype, name, raw, floats = [], None, None, None, []
    for num, wt, val in _fields(buf):
        if num == 1:
            if wt == 2:
                p = 0
                while p < len(val):
                    d, p = _varint(val, p); dims.append(d)
            else:
                dims.append(val)
        elif num == 2:
            dtype = val
        elif num == 8:
            name = bytes(val).decode()
        elif num == 9:
            raw = bytes(val)
        elif num == 4:
            floats.append(val)
    if dtype == 1:
        arr = np.frombuffer(raw, dtype=np.float32) if raw is not None else np.array([], np.float32)
    elif dtype == 7:
        arr = np.frombuffer(raw, dtype=np.int64) if raw is not None else np.array([], np.int64)
    else:
        arr = None
    return name, (arr.reshape(dims) if arr is not None and arr.size == int(np.prod(dims)) else arr)


def _node(buf):
    ins, outs, op = [], [], None
    for num, wt, val in _fields(buf):
        if num == 1:
            ins.append(bytes(val).decode())
        elif num == 2:
            outs.append(bytes(val).decode())
        elif num == 4:
            op = bytes(val).decode()
    return op, ins, outs


def load_minilm(onnx_path):
    data = memoryview(open(onnx_path, "rb").read())
    graph = next(val for num, wt, val in _fields(data) if num == 7)
    inits, nodes = {}, []
    for num, wt, val in _fields(graph):
        if num == 5:
            name, arr = _tensor(val)
            inits[name] = arr
        elif num == 1:
            nodes.append(_node(val))
    consumers = {}
    for op, ins, outs in nodes:
        for i in ins:
            consumers.setdefault(i, []).append((op, ins, outs))
    state = {k: v for k, v in inits.items() if not k.startswith("onnx::") and ("embeddings" in k or "encoder" in k)}
    for op, ins, outs in nodes:
        if op != "MatMul":
            continue
        w = next((i for i in ins if i.startswith("onnx::MatMul")), None)
        if w is None:
            continue
        add = [c for c in consumers.get(outs[0], []) if c[0] == "Add"]
        bias = next(i for i in add[0][1] if i.endswith(".bias"))
        state[bias[:-len(".bias")] + ".weight"] = inits[w].T.copy()
    config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                        intermediate_size=1536, max_position_embeddings=512, layer_norm_eps=1e-12,
                        hidden_act="gelu", type_vocab_size=2, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0)
    model = BertModel(config, add_pooling_layer=False)
    tensors = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in state.items()
               if v is not None and v.dtype == np.float32}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [m for m in missing if "position_ids" not in m and "token_type_ids" not in m]
    if missing or unexpected:
        raise ValueError(f"missing {missing}, unexpected {unexpected}")
    return model.eval()
