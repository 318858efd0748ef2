"""Exports `conv-xla`: a small CNN classifier over [b,3,48,192] images, textdir's input shape.

Three stride-2 3×3 convolutions (3→16→32→64) with ReLU, global average pooling, a dense
layer to 2 classes and softmax. Weights are random but fixed (numpy seed 7) and live in
params.npz beside model.jax, passed as the export's first argument (the large-model mode).
Run: python runtimes/xla/export/conv.py [models dir]   (default: models/)
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax import export

from common import RUNTIME_MODELS, export_fn, write_model

SEED = 7
CHANNELS = (3, 16, 32, 64)
CLASSES = 2
INPUT_SHAPE = (3, 48, 192)
BUCKETS = [1, 2, 4, 8, 16, 32]


def conv_params() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    params = {}
    for i, (cin, cout) in enumerate(zip(CHANNELS, CHANNELS[1:])):
        params[f"conv{i}.w"] = (rng.standard_normal((cout, cin, 3, 3)) * np.sqrt(2 / (cin * 9))).astype(np.float32)
        params[f"conv{i}.b"] = (rng.standard_normal(cout) * 0.01).astype(np.float32)
    params["fc.w"] = (rng.standard_normal((CHANNELS[-1], CLASSES)) / np.sqrt(CHANNELS[-1])).astype(np.float32)
    params["fc.b"] = np.zeros(CLASSES, np.float32)
    return params


def conv_forward(params: dict, x):
    hi = jax.lax.Precision.HIGHEST  # float32 exact on GPUs too (no TF32)
    for i in range(len(CHANNELS) - 1):
        x = jax.lax.conv_general_dilated(
            x, params[f"conv{i}.w"], (2, 2), "SAME", dimension_numbers=("NCHW", "OIHW", "NCHW"), precision=hi
        )
        x = jax.nn.relu(x + params[f"conv{i}.b"][None, :, None, None])
    pooled = jnp.mean(x, axis=(2, 3))
    return {"probs": jax.nn.softmax(jnp.dot(pooled, params["fc.w"], precision=hi) + params["fc.b"], axis=-1)}


CONFIG = {
    "description": "small CNN classifier FP32 [-1,3,48,192] -> [-1,2] with random fixed weights, exported with jax.export by runtimes/xla/export/conv.py",
    "format": "xla",
    "max_batch_size": 32,
    "max_queue_delay_ms": 0,
    "buckets": BUCKETS,
    "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, *INPUT_SHAPE]}],
    "outputs": [{"name": "probs", "datatype": "FP32", "shape": [-1, CLASSES]}],
}


def main() -> None:
    models = Path(sys.argv[1]) if len(sys.argv) > 1 else RUNTIME_MODELS
    params = conv_params()
    (b,) = export.symbolic_shape("b")
    structs = {k: jax.ShapeDtypeStruct(v.shape, v.dtype) for k, v in params.items()}
    exported = export_fn(conv_forward, structs, jax.ShapeDtypeStruct((b, *INPUT_SHAPE), jnp.float32))
    out = write_model(models, "conv-xla", exported, CONFIG, params)
    print(f"wrote {out}/model.jax and params.npz (jax {jax.__version__})")


if __name__ == "__main__":
    main()
