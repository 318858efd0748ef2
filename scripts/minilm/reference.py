"""The independent reference for `minilm`: all-MiniLM-L6-v2 sentence embeddings in plain numpy.

Reads model.safetensors with the `safetensors` package and tokenizes with Hugging Face
`tokenizers` (truncation at max_seq_length 256, no padding), then runs BERT's forward pass
one sentence at a time in float64: no ONNX graph, no attention mask, no batching, so it
shares nothing with what Alto serves but the weights and the tokenizer file. Mean pooling
over the tokens, then L2 normalisation, as sentence-transformers' modules.json says.
Run: python reference.py <sentence-transformers folder> <sentences.json> [out.json]
  sentences.json: a JSON list of strings, or an object whose "sentences" is one.
  Prints (or writes) {"embeddings": [[384 floats], ...], "tokens": [count, ...]}.
With --ids SEQ after the folder it prints the tokenization only, padded to SEQ tokens (for the
fixed-length minilm-xla export): {"input_ids": [[...]], "attention_mask": ..., "token_type_ids": ...}.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

_erf = np.frompyfunc(math.erf, 1, 1)


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


class Reference:
    def __init__(self, model_dir: Path) -> None:
        self.config = json.loads((model_dir / "config.json").read_text())
        self.max_len = json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
        self.w = {k: v.astype(np.float64) for k, v in load_file(str(model_dir / "model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json ships with padding to 128 and truncation at 128 on; sentence-transformers
        # truncates at max_seq_length and pads only a batch, which this never forms.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_len)

    def hidden(self, ids: list[int], type_ids: list[int]) -> np.ndarray:
        w, c = self.w, self.config
        eps, heads = c["layer_norm_eps"], c["num_attention_heads"]
        n = len(ids)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][type_ids]
        x = x + w["embeddings.position_embeddings.weight"][:n]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        d = x.shape[1] // heads
        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            dense = lambda t, name: t @ w[p + name + ".weight"].T + w[p + name + ".bias"]  # noqa: E731
            split = lambda t: t.reshape(n, heads, d).transpose(1, 0, 2)  # noqa: E731
            q, k, v = (split(dense(x, f"attention.self.{m}")) for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            ctx = (scores / scores.sum(-1, keepdims=True)) @ v
            ctx = ctx.transpose(1, 0, 2).reshape(n, heads * d)
            x = _layer_norm(x + dense(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            h = dense(x, "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / math.sqrt(2.0)).astype(np.float64))
            x = _layer_norm(x + dense(h, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        return x

    def embed(self, sentence: str) -> tuple[np.ndarray, int]:
        enc = self.tokenizer.encode(sentence)
        pooled = self.hidden(enc.ids, enc.type_ids).mean(0)
        return pooled / np.linalg.norm(pooled), len(enc.ids)


def padded_ids(model_dir: Path, sentences: list[str], seq: int) -> dict[str, list[list[int]]]:
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(seq)
    tokenizer.enable_padding(length=seq, pad_id=0, pad_token="[PAD]")
    encs = tokenizer.encode_batch(sentences)
    return {
        "input_ids": [e.ids for e in encs],
        "attention_mask": [e.attention_mask for e in encs],
        "token_type_ids": [e.type_ids for e in encs],
    }


def _sentences(path: Path) -> list[str]:
    doc = json.loads(path.read_text())
    return doc["sentences"] if isinstance(doc, dict) else doc


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[2] == "--ids":
        print(json.dumps(padded_ids(Path(sys.argv[1]), _sentences(Path(sys.argv[4])), int(sys.argv[3]))))
        return
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: reference.py <sentence-transformers folder> <sentences.json> [out.json]")
    ref = Reference(Path(sys.argv[1]))
    sentences = _sentences(Path(sys.argv[2]))
    embeddings, tokens = [], []
    for s in sentences:
        e, n = ref.embed(s)
        embeddings.append([float(v) for v in e])
        tokens.append(n)
    out = json.dumps({"embeddings": embeddings, "tokens": tokens})
    if len(sys.argv) == 4:
        Path(sys.argv[3]).write_text(out)
    else:
        print(out)


if __name__ == "__main__":
    main()
