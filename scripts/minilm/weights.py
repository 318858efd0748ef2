"""Reads a sentence-transformers all-MiniLM-L6-v2 folder: its BERT config and model.safetensors.

A plain-numpy safetensors reader (8-byte little-endian header length, a JSON header, raw
little-endian tensors), so the ONNX and JAX builders need nothing beyond numpy. The reference
(reference.py) reads the same file with the `safetensors` package instead, on purpose.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor '{name}' has dtype {entry['dtype']}; expected one of {sorted(_DTYPES)}")
        start, end = entry["data_offsets"]
        array = np.frombuffer(data[base + start : base + end], dtype=np.dtype(dtype).newbyteorder("<"))
        tensors[name] = array.reshape(entry["shape"]).astype(dtype)
    return tensors


def read_bert_config(model_dir: Path) -> dict:
    """config.json of the transformer, checked for the shape this builder writes."""
    config = json.loads((model_dir / "config.json").read_text())
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        raise ValueError(f"{model_dir}/config.json: expected model_type 'bert' with hidden_act 'gelu', got {config.get('model_type')!r}, {config.get('hidden_act')!r}")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"{model_dir}/config.json: expected absolute position embeddings, got {config['position_embedding_type']!r}")
    return config


def layer_weights(tensors: dict[str, np.ndarray], i: int) -> dict[str, np.ndarray]:
    """Layer i's tensors under short names; dense weights transposed to [in, out] for x @ w."""
    p = f"encoder.layer.{i}."
    t = lambda name: np.ascontiguousarray(tensors[p + name].T)  # noqa: E731
    g = lambda name: tensors[p + name]  # noqa: E731
    return {
        "q_w": t("attention.self.query.weight"), "q_b": g("attention.self.query.bias"),
        "k_w": t("attention.self.key.weight"), "k_b": g("attention.self.key.bias"),
        "v_w": t("attention.self.value.weight"), "v_b": g("attention.self.value.bias"),
        "o_w": t("attention.output.dense.weight"), "o_b": g("attention.output.dense.bias"),
        "ln1_g": g("attention.output.LayerNorm.weight"), "ln1_b": g("attention.output.LayerNorm.bias"),
        "i_w": t("intermediate.dense.weight"), "i_b": g("intermediate.dense.bias"),
        "f_w": t("output.dense.weight"), "f_b": g("output.dense.bias"),
        "ln2_g": g("output.LayerNorm.weight"), "ln2_b": g("output.LayerNorm.bias"),
    }


def embedding_weights(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {
        "word": tensors["embeddings.word_embeddings.weight"],
        "position": tensors["embeddings.position_embeddings.weight"],
        "token_type": tensors["embeddings.token_type_embeddings.weight"],
        "ln_g": tensors["embeddings.LayerNorm.weight"],
        "ln_b": tensors["embeddings.LayerNorm.bias"],
    }
