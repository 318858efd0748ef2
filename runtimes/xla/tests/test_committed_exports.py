"""The committed exports under models/ were written by the pinned JAX, load in the JAX
installed here, compute what their source computes, and the export scripts still reproduce
them byte for byte (so a script edit without a re-export fails here)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import jax
import numpy as np
import pytest
from jax import export

from conftest import MODELS, RUNTIME

PINNED = re.search(r'"jax==([^"]+)"', (RUNTIME / "pyproject.toml").read_text()).group(1)


def test_the_installed_jax_is_the_pinned_one():
    deps = tomllib.loads((RUNTIME / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"jaxlib=={PINNED}" in deps
    assert jax.__version__ == PINNED


@pytest.mark.parametrize("name", ["tiny-xla", "conv-xla"])
def test_a_committed_export_deserializes_for_every_serving_platform(name):
    exported = export.deserialize(bytearray((MODELS / name / "1" / "model.jax").read_bytes()))
    assert set(exported.platforms) == {"cpu", "cuda", "rocm", "tpu"}
    assert str(exported.in_avals[-1].shape[0]) == "b"


def test_the_committed_tiny_export_computes_the_mlp_from_its_weights():
    from tiny import tiny_weights

    w = {k: v.astype(np.float64) for k, v in tiny_weights().items()}
    x = np.random.default_rng(5).standard_normal((6, 64)).astype(np.float32)
    expected = np.maximum(x @ w["w1"] + w["b1"], 0) @ w["w2"] + w["b2"]  # float64 reference
    exported = export.deserialize(bytearray((MODELS / "tiny-xla" / "1" / "model.jax").read_bytes()))
    got = np.asarray(exported.call(x)["y"])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


@pytest.mark.skipif(jax.__version__ != PINNED, reason="byte-identical exports need the pinned JAX")
@pytest.mark.parametrize("script", ["tiny.py", "conv.py"])
def test_the_export_scripts_reproduce_the_committed_files(script, tmp_path):
    subprocess.run([sys.executable, str(RUNTIME / "export" / script), str(tmp_path)], check=True, capture_output=True)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written, "the script wrote nothing"
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (MODELS / rel).read_bytes(), f"{rel} differs from the committed file"
