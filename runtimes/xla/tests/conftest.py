"""Shared fixtures: repo paths, the export scripts on sys.path, and a real runtime process."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
RUNTIME = HERE.parent
REPO = RUNTIME.parents[1]
# The demo repository, which `npm start` publishes: the XLA demos sit beside tiny and textdir.
MODELS = REPO / "models"
ONNX_TINY = REPO / "models" / "tiny" / "1" / "model.onnx"
sys.path.insert(0, str(RUNTIME / "export"))


def start_runtime(socket_path: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    """Starts `python -m alto_xla.server` and waits (with a deadline) for its ready line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "alto_xla.server", "--socket", str(socket_path), *extra],
        cwd=RUNTIME, stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
    )
    # The ready line comes once JAX has initialised its devices; allow 120 s on a loaded machine.
    readable, _, _ = select.select([proc.stdout], [], [], 120)
    line = proc.stdout.readline() if readable else ""
    if not line:
        proc.kill()
        raise RuntimeError(f"runtime did not report ready within 120 s (exit {proc.wait()})")
    ready = json.loads(line)
    assert ready["event"] == "ready" and ready["socket"] == str(socket_path)
    return proc


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    socket_path = tmp_path_factory.mktemp("rt") / "xla.sock"
    proc = start_runtime(socket_path)
    yield socket_path, proc
    proc.terminate()
    proc.wait(timeout=30)
