"""Shared by the demo export scripts: write a version directory and its model's config.json.

Exports lower for every platform Alto serves (cpu, cuda, rocm, tpu), so one committed
model.jax runs wherever the runtime finds itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np
from jax import export

REPO = Path(__file__).resolve().parents[3]
# The demo repository: `npm start` publishes every folder there, these included.
RUNTIME_MODELS = REPO / "models"
PLATFORMS = ("cpu", "cuda", "rocm", "tpu")

# No source locations from this checkout in the artifact: they would carry its absolute paths
# and make the committed bytes depend on where the script ran. Frames under an excluded path
# are left out of MLIR locations (a private JAX hook; without it the export only grows paths).
try:
    from jax._src import source_info_util

    source_info_util.register_exclusion(str(REPO))
except (ImportError, AttributeError):
    pass


def export_fn(fn, *args) -> export.Exported:
    return export.export(jax.jit(fn), platforms=PLATFORMS)(*args)


def write_model(models_dir: Path, name: str, exported: export.Exported, config: dict, params: dict[str, np.ndarray] | None = None) -> Path:
    """Writes <models>/<name>/config.json and <models>/<name>/1/{model.jax, params.npz}."""
    version_dir = models_dir / name / "1"
    version_dir.mkdir(parents=True, exist_ok=True)
    (version_dir / "model.jax").write_bytes(exported.serialize())
    if params is not None:
        # npz, not safetensors: numpy is all a bare JAX install brings (see docs/accelerators.md).
        np.savez(version_dir / "params.npz", **params)
    (models_dir / name / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return version_dir
