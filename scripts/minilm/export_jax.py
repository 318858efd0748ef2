"""Exports all-MiniLM-L6-v2 with jax.export as the XLA demo `minilm-xla`: token ids in, the
sentence embedding out (BERT, mean pooling over the attention mask, L2 normalisation).

The XLA executor takes a symbolic batch dim only (docs/accelerators.md), so the sequence is
fixed at SEQ = 256 tokens (max_seq_length): callers pad with the attention mask, which both
the attention bias and the pooling honour. Inputs are INT32 (JAX runs without x64), outputs
`embedding` FP32 [-1, 384]. Alto's text pipeline is ONNX-only, so this model takes token ids,
not text. Weights go to params.npz (the large-model mode), read with weights.py.
Run with .alto/xla-venv: python export_jax.py <sentence-transformers folder> <models dir>
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "runtimes" / "xla" / "export"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import export  # noqa: E402

from common import export_fn, write_model  # noqa: E402
from weights import embedding_weights, layer_weights, read_bert_config, read_safetensors  # noqa: E402

SEQ = 256
BUCKETS = [1, 4, 16, 32]
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def params_of(model_dir: Path) -> tuple[dict, dict[str, np.ndarray]]:
    config = read_bert_config(model_dir)
    tensors = read_safetensors(model_dir / "model.safetensors")
    params = {f"emb.{k}": v for k, v in embedding_weights(tensors).items()}
    params["emb.position"] = params["emb.position"][:SEQ]
    for i in range(config["num_hidden_layers"]):
        params.update({f"l{i}.{k}": v for k, v in layer_weights(tensors, i).items()})
    return config, params


def forward(config: dict, p: dict, input_ids, attention_mask, token_type_ids):
    hi = jax.lax.Precision.HIGHEST  # float32 exact on GPUs too (no TF32)
    eps, heads = config["layer_norm_eps"], config["num_attention_heads"]
    hidden = config["hidden_size"]
    d = hidden // heads

    def ln(x, g, b):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) * jax.lax.rsqrt(var + eps) * g + b

    def dense(x, w, b):
        return jnp.matmul(x, w, precision=hi) + b

    b = input_ids.shape[0]
    x = p["emb.word"][input_ids] + p["emb.token_type"][token_type_ids] + p["emb.position"][None]
    x = ln(x, p["emb.ln_g"], p["emb.ln_b"])
    mask = attention_mask.astype(jnp.float32)
    bias = ((1.0 - mask) * jnp.finfo(jnp.float32).min)[:, None, None, :]
    for i in range(config["num_hidden_layers"]):
        w = {k[len(f"l{i}."):]: v for k, v in p.items() if k.startswith(f"l{i}.")}
        split = lambda t: t.reshape(b, SEQ, heads, d).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, v = (split(dense(x, w[f"{m}_w"], w[f"{m}_b"])) for m in ("q", "k", "v"))
        scores = jnp.matmul(q, k.transpose(0, 1, 3, 2), precision=hi) / math.sqrt(d) + bias
        ctx = jnp.matmul(jax.nn.softmax(scores, axis=-1), v, precision=hi).transpose(0, 2, 1, 3).reshape(b, SEQ, hidden)
        x = ln(x + dense(ctx, w["o_w"], w["o_b"]), w["ln1_g"], w["ln1_b"])
        h = jax.nn.gelu(dense(x, w["i_w"], w["i_b"]), approximate=False)
        x = ln(x + dense(h, w["f_w"], w["f_b"]), w["ln2_g"], w["ln2_b"])
    pooled = (x * mask[..., None]).sum(1) / jnp.maximum(mask.sum(1, keepdims=True), 1.0)
    return {"embedding": pooled / jnp.maximum(jnp.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)}


def config_json(hidden: int) -> dict:
    return {
        "description": f"all-MiniLM-L6-v2 sentence embeddings as jax.export (scripts/minilm/export_jax.py): token ids INT32 [-1,{SEQ}] padded with attention_mask -> embedding FP32 [-1,{hidden}], mean-pooled and normalised",
        "format": "xla",
        "max_batch_size": BUCKETS[-1],
        "max_queue_delay_ms": 2,
        "buckets": BUCKETS,
        "inputs": [{"name": n, "datatype": "INT32", "shape": [-1, SEQ]} for n in INPUTS],
        "outputs": [{"name": "embedding", "datatype": "FP32", "shape": [-1, hidden]}],
    }


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: export_jax.py <sentence-transformers folder> <models dir>")
    config, params = params_of(Path(sys.argv[1]))
    (b,) = export.symbolic_shape("b")
    structs = {k: jax.ShapeDtypeStruct(v.shape, v.dtype) for k, v in params.items()}
    ids = jax.ShapeDtypeStruct((b, SEQ), jnp.int32)
    exported = export_fn(lambda p, i, m, t: forward(config, p, i, m, t), structs, ids, ids, ids)
    out = write_model(Path(sys.argv[2]), "minilm-xla", exported, config_json(config["hidden_size"]), params)
    print(f"wrote {out}/model.jax and params.npz (jax {jax.__version__}, seq {SEQ})")


if __name__ == "__main__":
    main()
