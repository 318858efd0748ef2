"""Exports `tiny-xla`: the same 2-layer MLP as `tiny` (scripts/make-tiny-model.ts), in JAX.

The weights come from the same mulberry32 stream (seed 42) with the same float64 arithmetic
rounded to float32, so its outputs match the ONNX `tiny` within float32 rounding. The
weights are embedded in model.jax as constants (the small-model weight mode).
Run: python runtimes/xla/export/tiny.py [models dir]   (default: models/)
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax import export

from common import RUNTIME_MODELS, export_fn, write_model

SEED = 42
IN, HIDDEN, OUT = 64, 32, 10
BUCKETS = [1, 2, 4, 8, 16, 32, 64]
_M32 = 0xFFFFFFFF


def mulberry32(seed: int):
    """The PRNG of make-tiny-model.ts, bit for bit: uniform floats in [0, 1)."""
    a = seed & _M32

    def imul(x: int, y: int) -> int:
        return (x * y) & _M32

    def rand() -> float:
        nonlocal a
        a = (a + 0x6D2B79F5) & _M32
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & _M32
        return ((t ^ (t >> 14)) & _M32) / 4294967296

    return rand


def tiny_weights() -> dict[str, np.ndarray]:
    rand = mulberry32(SEED)

    def fill(n: int, fan_in: int) -> np.ndarray:
        # JS computes in float64; Float32Array.from rounds each value to nearest float32.
        return np.array([(rand() * 2 - 1) / math.sqrt(fan_in) for _ in range(n)], dtype=np.float64).astype(np.float32)

    w1 = fill(IN * HIDDEN, IN).reshape(IN, HIDDEN)
    b1 = fill(HIDDEN, IN)
    w2 = fill(HIDDEN * OUT, HIDDEN).reshape(HIDDEN, OUT)
    b2 = fill(OUT, HIDDEN)
    return {"w1": w1, "b1": b1, "w2": w2, "b2": b2}


def tiny_forward(w: dict, x):
    # HIGHEST keeps float32 matmuls exact on GPUs, whose default would use TF32.
    hi = jax.lax.Precision.HIGHEST
    h = jax.nn.relu(jnp.dot(x, w["w1"], precision=hi) + w["b1"])
    return {"y": jnp.dot(h, w["w2"], precision=hi) + w["b2"]}


CONFIG = {
    "description": "2-layer MLP FP32 [-1,64] -> [-1,10], the same weights as tiny, exported with jax.export by runtimes/xla/export/tiny.py",
    "format": "xla",
    "max_batch_size": 64,
    "max_queue_delay_ms": 0,
    "buckets": BUCKETS,
    "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, IN]}],
    "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, OUT]}],
}


def main() -> None:
    models = Path(sys.argv[1]) if len(sys.argv) > 1 else RUNTIME_MODELS
    weights = tiny_weights()
    (b,) = export.symbolic_shape("b")
    exported = export_fn(lambda x: tiny_forward(weights, x), jax.ShapeDtypeStruct((b, IN), jnp.float32))
    out = write_model(models, "tiny-xla", exported, CONFIG)
    print(f"wrote {out}/model.jax (weights embedded, jax {jax.__version__})")


if __name__ == "__main__":
    main()
