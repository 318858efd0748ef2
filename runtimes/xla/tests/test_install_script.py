"""scripts/install-xla-runtime.sh refuses with one clear line, and creates nothing, when the
interpreter it is given cannot take the pinned JAX. (The happy path runs before every suite:
scripts/test-xla-runtime.sh installs through it.)"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import REPO, RUNTIME


@pytest.fixture
def checkout(tmp_path):
    """A copy of just what the script reads, so a refusal cannot touch the real .alto/."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "runtimes" / "xla").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "install-xla-runtime.sh", tmp_path / "scripts")
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy(RUNTIME / name, tmp_path / "runtimes" / "xla")
    return tmp_path


def run(checkout, python: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(checkout / "scripts" / "install-xla-runtime.sh")],
        env={**os.environ, "ALTO_XLA_PYTHON": python}, capture_output=True, text=True, timeout=60,
    )


def fake_python(tmp_path, version: str) -> str:
    path = tmp_path / f"python{version}"
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return str(path)


def test_a_python_too_old_for_the_pinned_jax_is_refused_in_one_line(checkout, tmp_path):
    result = run(checkout, fake_python(tmp_path, "3.10"))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "(3.10)" in lines[0] and "jax==" in lines[0] and "3.11" in lines[0]
    assert result.stdout == ""
    assert not (checkout / ".alto" / "xla-venv").exists()


def test_an_interpreter_that_does_not_run_is_refused_in_one_line(checkout):
    result = run(checkout, "/nonexistent/python3")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "install-xla-runtime: ALTO_XLA_PYTHON=/nonexistent/python3 does not run as a Python interpreter"
    ]
