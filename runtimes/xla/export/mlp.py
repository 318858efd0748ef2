"""Exports `mlp-xla`: a compute-bound MLP for measuring accelerators (not a committed demo).

[b,1024] → 4096 → 4096 → 4096 → 1024 with GELU between layers and tanh at the end, about
84 MFLOP per row and 168 MB of FP32 weights (random but fixed: numpy seed 11), in params.npz.
tiny-xla and conv-xla are too small to keep a GPU busy — their batches cost less than a
kernel launch — so scripts/device-check.sh exports this one into a scratch directory when
DEVICE_CHECK_MLP=1 and measures it at larger batches too.
Run: python runtimes/xla/export/mlp.py <models dir>
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax import export

from common import export_fn, write_model

SEED = 11
WIDTHS = (1024, 4096, 4096, 4096, 1024)
BUCKETS = [1, 8, 32, 256]


def mlp_params() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(WIDTHS, WIDTHS[1:])):
        params[f"fc{i}.w"] = (rng.standard_normal((n_in, n_out), dtype=np.float32) / np.sqrt(n_in)).astype(np.float32)
        params[f"fc{i}.b"] = np.zeros(n_out, np.float32)
    return params


def mlp_forward(params: dict, x):
    hi = jax.lax.Precision.HIGHEST  # float32 exact on GPUs too (no TF32)
    layers = len(WIDTHS) - 1
    for i in range(layers):
        x = jnp.dot(x, params[f"fc{i}.w"], precision=hi) + params[f"fc{i}.b"]
        x = jax.nn.gelu(x) if i < layers - 1 else jnp.tanh(x)
    return {"y": x}


CONFIG = {
    "description": "compute-bound MLP FP32 [-1,1024] -> [-1,1024] (random fixed weights) for device checks, exported by runtimes/xla/export/mlp.py",
    "format": "xla",
    "max_batch_size": 256,
    "max_queue_delay_ms": 0,
    "buckets": BUCKETS,
    "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, WIDTHS[0]]}],
    "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, WIDTHS[-1]]}],
}


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python runtimes/xla/export/mlp.py <models dir>")
    params = mlp_params()
    (b,) = export.symbolic_shape("b")
    structs = {k: jax.ShapeDtypeStruct(v.shape, v.dtype) for k, v in params.items()}
    exported = export_fn(mlp_forward, structs, jax.ShapeDtypeStruct((b, WIDTHS[0]), jnp.float32))
    out = write_model(Path(sys.argv[1]), "mlp-xla", exported, CONFIG, params)
    print(f"wrote {out}/model.jax and params.npz (jax {jax.__version__})")


if __name__ == "__main__":
    main()
