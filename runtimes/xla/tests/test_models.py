"""The demo models through LoadedModel: tiny-xla matches the ONNX `tiny` (an independent
runtime), conv-xla gives the same rows batched as solo, padding to a bucket changes no row,
and both weight files (params.npz, params.safetensors) load to the same outputs."""

from __future__ import annotations

import shutil

import jax
import numpy as np
import pytest

from alto_xla.errors import RuntimeFault
from alto_xla.model import LoadedModel
from conftest import MODELS, ONNX_TINY

onnxruntime = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def tiny():
    return LoadedModel("tiny-xla", "1", MODELS / "tiny-xla" / "1")


@pytest.fixture(scope="module")
def conv():
    return LoadedModel("conv-xla", "1", MODELS / "conv-xla" / "1", buckets=[1, 4, 8])


@pytest.mark.parametrize("rows", [1, 3, 64, 100])
def test_tiny_xla_equals_onnx_tiny_within_1e5(tiny, rows):
    session = onnxruntime.InferenceSession(str(ONNX_TINY))
    x = np.random.default_rng(rows).standard_normal((rows, 64)).astype(np.float32) * 3
    (expected,) = session.run(["y"], {"x": x})
    outputs, _ = tiny.run({"x": x})
    assert outputs["y"].shape == (rows, 10)
    np.testing.assert_allclose(outputs["y"], expected, rtol=0, atol=1e-5)


def test_tiny_xla_reports_its_signature_and_a_compile_time_per_bucket(tiny):
    meta = tiny.metadata()
    assert meta["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 64]}]
    assert meta["outputs"] == [{"name": "y", "datatype": "FP32", "shape": [-1, 10]}]
    assert meta["buckets"] == [1, 2, 4, 8, 16, 32, 64]
    assert sorted(map(int, meta["compile_ms"])) == meta["buckets"]
    assert all(ms > 0 for ms in meta["compile_ms"].values())
    assert meta["weights"] == "embedded" and meta["params_bytes"] == 0
    assert meta["memory_bytes"] > 0


def images(rows: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((rows, 3, 48, 192), dtype=np.float32)


def test_conv_batched_equals_solo_within_1e5(conv):
    x = images(7)
    batched, buckets = conv.run({"x": x})
    assert buckets == [8]
    solo = np.concatenate([conv.run({"x": x[i : i + 1]})[0]["probs"] for i in range(7)])
    np.testing.assert_allclose(batched["probs"], solo, rtol=0, atol=1e-5)
    np.testing.assert_allclose(batched["probs"].sum(axis=1), 1, atol=1e-5)
    assert np.ptp(batched["probs"][:, 0]) > 1e-4, "rows should differ, or the test proves nothing"


@pytest.mark.parametrize("rows", [2, 3, 5])
def test_padding_to_a_bucket_gives_the_rows_of_an_unpadded_run(conv, rows):
    x = images(rows, seed=rows)
    padded, buckets = conv.run({"x": x})
    assert buckets == [conv.bucket_for(rows)] and buckets[0] > rows
    # The export itself at the exact batch size: no padding involved.
    unpadded = jax.jit(conv.exported.call)(conv.params, x)["probs"]
    np.testing.assert_allclose(padded["probs"], np.asarray(unpadded), rtol=0, atol=1e-5)


def test_a_batch_over_the_largest_bucket_runs_in_chunks(conv):
    x = images(19, seed=3)
    out, buckets = conv.run({"x": x})
    assert buckets == [8, 8, 4]
    whole = jax.jit(conv.exported.call)(conv.params, x)["probs"]
    np.testing.assert_allclose(out["probs"], np.asarray(whole), rtol=0, atol=1e-5)


def test_an_empty_batch_returns_empty_outputs(conv):
    out, buckets = conv.run({"x": images(0)})
    assert out["probs"].shape == (0, 2) and buckets == []


def test_safetensors_weights_load_to_the_same_outputs_as_npz(conv, tmp_path):
    from safetensors.numpy import save_file

    version = tmp_path / "conv-xla" / "1"
    version.mkdir(parents=True)
    shutil.copy(MODELS / "conv-xla" / "1" / "model.jax", version)
    shutil.copy(MODELS / "conv-xla" / "config.json", version.parent)
    save_file(dict(conv.params), str(version / "params.safetensors"))
    model = LoadedModel("conv-xla", "1", version, buckets=[4])
    assert model.weights == "params.safetensors"
    x = images(4, seed=9)
    np.testing.assert_allclose(model.run({"x": x})[0]["probs"], conv.run({"x": x})[0]["probs"], rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "tensors, message",
    [
        ({}, "missing ['x']"),
        ({"x": images(1), "z": images(1)}, "unexpected ['z']"),
        ({"x": images(1).astype(np.float64)}, "expected datatype FP32, got FP64"),
        ({"x": np.zeros((1, 3, 48, 100), np.float32)}, "expected shape [-1, 3, 48, 192], got [1, 3, 48, 100]"),
    ],
)
def test_wrong_inputs_are_invalid_input_naming_both_sides(conv, tensors, message):
    with pytest.raises(RuntimeFault) as raised:
        conv.run(tensors)
    assert raised.value.code == "invalid_input" and message in raised.value.message


def test_a_version_with_both_params_files_is_refused(tmp_path):
    version = tmp_path / "m" / "1"
    shutil.copytree(MODELS / "conv-xla" / "1", version)
    shutil.copy(version / "params.npz", version / "params.safetensors")
    with pytest.raises(RuntimeFault) as raised:
        LoadedModel("m", "1", version)
    assert raised.value.code == "model_invalid" and "keep one" in raised.value.message


def test_params_that_do_not_match_the_export_are_refused(tmp_path):
    version = tmp_path / "m" / "1"
    shutil.copytree(MODELS / "conv-xla" / "1", version)
    shutil.copy(MODELS / "conv-xla" / "config.json", version.parent)
    with np.load(version / "params.npz") as npz:
        params = {k: npz[k] for k in npz.files}
    params["fc.w"] = params["fc.w"][:, :1]
    np.savez(version / "params.npz", **params)
    with pytest.raises(RuntimeFault) as raised:
        LoadedModel("m", "1", version)
    assert raised.value.code == "model_invalid" and "param 'fc.w'" in raised.value.message


def test_a_config_that_declares_a_different_shape_than_the_export_is_refused(tmp_path):
    import json

    version = tmp_path / "m" / "1"
    shutil.copytree(MODELS / "tiny-xla" / "1", version)
    config = json.loads((MODELS / "tiny-xla" / "config.json").read_text())
    config["inputs"][0]["shape"] = [-1, 65]
    (version.parent / "config.json").write_text(json.dumps(config))
    with pytest.raises(RuntimeFault) as raised:
        LoadedModel("m", "1", version, buckets=[1])
    assert raised.value.code == "model_invalid" and "[-1, 65]" in raised.value.message and "[-1, 64]" in raised.value.message
