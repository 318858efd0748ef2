"""The runtime process over a real Unix socket: it loads, reports devices, runs, answers bad
input with error frames and keeps serving, serves several connections, and unloads."""

from __future__ import annotations

import signal
import struct
import threading

import numpy as np
import pytest

from alto_xla.client import Client, ErrorReply
from alto_xla.protocol import encode_frame
from conftest import MODELS, ONNX_TINY, start_runtime

onnxruntime = pytest.importorskip("onnxruntime")
TINY = {"model": "tiny-xla", "version": "1", "dir": str(MODELS / "tiny-xla" / "1")}


@pytest.fixture(scope="module")
def loaded(runtime):
    socket_path, _ = runtime
    with Client(str(socket_path)) as client:
        header, _ = client.request("load", **TINY, buckets=[1, 2, 4, 8])
    return socket_path, header


def x(rows: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, 64)).astype(np.float32)


def test_ping_answers_with_the_process_id(runtime):
    socket_path, proc = runtime
    with Client(str(socket_path)) as client:
        header, _ = client.request("ping")
    assert header["ok"] is True and header["pid"] == proc.pid and header["protocol"] == 1


def test_devices_reports_kind_model_count_and_memory(runtime):
    with Client(str(runtime[0])) as client:
        header, _ = client.request("devices")
    assert header["kind"] in ("cpu", "gpu", "tpu")
    assert header["count"] == len(header["devices"]) >= 1
    assert header["memory_bytes_per_device"] > 0 and header["model"]


def test_load_reports_signature_buckets_and_compile_times(loaded):
    _, header = loaded
    assert header["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 64]}]
    assert header["buckets"] == [1, 2, 4, 8] and set(header["compile_ms"]) == {"1", "2", "4", "8"}
    assert header["already_loaded"] is False and header["memory_bytes"] > 0


def test_loading_again_is_idempotent(loaded):
    with Client(str(loaded[0])) as client:
        header, _ = client.request("load", **TINY)
    assert header["already_loaded"] is True and header["buckets"] == [1, 2, 4, 8]


def test_run_returns_the_onnx_tiny_outputs_and_echoes_the_request_id(loaded):
    session = onnxruntime.InferenceSession(str(ONNX_TINY))
    inputs = x(5)
    with Client(str(loaded[0])) as client:
        header, outputs = client.request("run", {"x": inputs}, model="tiny-xla", version="1", request_id="r-17")
    assert header["request_id"] == "r-17" and header["buckets"] == [8] and header["run_ms"] > 0
    np.testing.assert_allclose(outputs["y"], session.run(["y"], {"x": inputs})[0], rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "send, code",
    [
        (lambda c: c.request("run", {"x": x(2).astype(np.float64)}, model="tiny-xla", version="1"), "invalid_input"),
        (lambda c: c.request("run", {"x": np.zeros((2, 63), np.float32)}, model="tiny-xla", version="1"), "invalid_input"),
        (lambda c: c.request("run", {"x": x(1)}, model="nope", version="1"), "model_not_loaded"),
        (lambda c: c.request("run", {"x": x(1)}, version="1"), "invalid_input"),
        (lambda c: c.request("explode"), "unknown_op"),
        (lambda c: c.request("load", model="m", version="1", dir="/nonexistent"), "model_invalid"),
        (lambda c: c.request("load", **TINY | {"model": "t2"}, buckets=[0]), "model_invalid"),
        (lambda c: c.send_raw(struct.pack("<II", 7, 3) + b"{x}"), "bad_frame"),
        (lambda c: c.send_raw(struct.pack("<II", 4, 0)), "bad_frame"),
    ],
)
def test_bad_requests_get_an_error_frame_and_the_connection_keeps_serving(loaded, send, code):
    with Client(str(loaded[0])) as client:
        try:
            header, _ = send(client)
        except ErrorReply as reply:
            assert reply.code == code
        else:
            assert header["ok"] is False and header["error"]["code"] == code, header
        header, outputs = client.request("run", {"x": x(1)}, model="tiny-xla", version="1")
        assert outputs["y"].shape == (1, 10)


def test_an_oversized_frame_closes_only_its_own_connection(loaded):
    with Client(str(loaded[0])) as bad:
        header, _ = bad.send_raw(struct.pack("<I", (1 << 30) + 1))
        assert header["error"]["code"] == "frame_too_large"
        assert bad.stream.read(1) == b"", "the runtime should close an out-of-step stream"
    with Client(str(loaded[0])) as good:
        assert good.request("ping")[0]["ok"]


def test_several_connections_run_concurrently_with_correct_rows(loaded):
    expected = {}
    with Client(str(loaded[0])) as client:
        for seed in range(4):
            expected[seed] = client.request("run", {"x": x(3, seed)}, model="tiny-xla", version="1")[1]["y"]
    results, errors = {}, []

    def work(seed):
        try:
            with Client(str(loaded[0])) as c:
                for _ in range(10):
                    results[seed] = c.request("run", {"x": x(3, seed)}, model="tiny-xla", version="1")[1]["y"]
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert not errors
    for seed in range(4):
        np.testing.assert_array_equal(results[seed], expected[seed])


def test_unload_removes_the_model(runtime):
    with Client(str(runtime[0])) as client:
        client.request("load", model="tiny-u", version="1", dir=TINY["dir"], buckets=[2])
        assert client.request("unload", model="tiny-u", version="1")[0]["unloaded"] is True
        with pytest.raises(ErrorReply) as raised:
            client.request("run", {"x": x(1)}, model="tiny-u", version="1")
        assert raised.value.code == "model_not_loaded"
        assert client.request("unload", model="tiny-u", version="1")[0]["unloaded"] is False


def test_sigterm_stops_the_runtime_and_removes_its_socket(tmp_path):
    socket_path = tmp_path / "s.sock"
    proc = start_runtime(socket_path)
    assert socket_path.exists()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert not socket_path.exists()


def test_a_stale_socket_file_is_replaced_on_start(tmp_path):
    import socket

    socket_path = tmp_path / "stale.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(socket_path))
    stale.close()  # the file stays behind, as after a crash
    proc = start_runtime(socket_path)
    try:
        with Client(str(socket_path)) as client:
            assert client.request("ping")[0]["ok"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_runtime_killed_mid_batch_gives_no_reply_and_a_restart_on_the_same_socket_reruns_it(tmp_path):
    import jax
    from jax import export

    from alto_xla.protocol import read_message

    socket_path = tmp_path / "crash.sock"
    conv = {"model": "conv-xla", "version": "1", "dir": str(MODELS / "conv-xla" / "1"), "buckets": [32]}
    batch = np.random.default_rng(4).random((512, 3, 48, 192), dtype=np.float32)  # 16 chunks: ~0.5 s on CPU
    proc = start_runtime(socket_path)
    with Client(str(socket_path)) as client:
        client.request("load", **conv)
        client.sock.sendall(encode_frame({"op": "run", "id": 1, "model": "conv-xla", "version": "1"}, {"x": batch}))
        proc.kill()  # SIGKILL while the batch runs: no handler, no cleanup, the socket file stays
        proc.wait(timeout=30)
        try:
            frame = read_message(client.stream)
        except OSError:
            frame = None
        assert frame is None, "a killed runtime must not answer; the worker sees end of stream"
    assert socket_path.exists()
    proc = start_runtime(socket_path)
    try:
        with Client(str(socket_path)) as client:
            client.request("load", **conv)
            _, outputs = client.request("run", {"x": batch}, model="conv-xla", version="1")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    exported = export.deserialize(bytearray((MODELS / "conv-xla" / "1" / "model.jax").read_bytes()))
    with np.load(MODELS / "conv-xla" / "1" / "params.npz") as npz:
        params = {k: npz[k] for k in npz.files}
    expected = np.asarray(jax.jit(exported.call)(params, batch[:64])["probs"])
    assert outputs["probs"].shape == (512, 2)
    np.testing.assert_allclose(outputs["probs"][:64], expected, rtol=0, atol=1e-5)


def test_compile_cache_keeps_one_executable_per_bucket_across_restarts(tmp_path):
    cache = tmp_path / "cache"
    loads = []
    for _ in range(2):
        proc = start_runtime(tmp_path / "c.sock", "--compile-cache", str(cache))
        try:
            with Client(str(tmp_path / "c.sock")) as client:
                loads.append(client.request("load", **TINY, buckets=[1, 2, 4])[0])
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        assert len([p for p in cache.iterdir() if p.is_file()]) == 3  # the restart added none
    assert loads[0]["compile_ms"].keys() == loads[1]["compile_ms"].keys()


def test_load_takes_the_config_in_the_request_when_no_config_json_sits_above_the_version(runtime, tmp_path):
    import json
    import shutil

    version = tmp_path / "cache-copy"  # like a worker's download cache: no config.json above it
    version.mkdir()
    shutil.copy(MODELS / "tiny-xla" / "1" / "model.jax", version)
    config = json.loads((MODELS / "tiny-xla" / "config.json").read_text())
    with Client(str(runtime[0])) as client:
        with pytest.raises(ErrorReply) as raised:
            client.request("load", model="tiny-c", version="0", dir=str(version), buckets=[1])
        assert raised.value.code == "model_invalid"
        header, _ = client.request(
            "load", model="tiny-c", version="1", dir=str(version), buckets=[1],
            config={"inputs": config["inputs"], "outputs": config["outputs"]},
        )
        assert [i["name"] for i in header["inputs"]] == ["x"]
        out, _ = client.request("run", {"x": x(1)}, model="tiny-c", version="1")
        assert out["ok"] is True


def _gone(pid: int) -> bool:
    """Exited (or a zombie nobody reaped yet: a container's init may not reap promptly)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


def test_the_runtime_exits_once_its_parent_is_gone_even_after_sigkill(tmp_path):
    import os
    import subprocess
    import sys
    import time

    from conftest import RUNTIME

    sock = tmp_path / "orphan.sock"
    # A parent that starts the runtime with --parent-pid of itself, as the worker does, then dies by SIGKILL.
    parent = subprocess.Popen(
        ["sh", "-c", f'"{sys.executable}" -m alto_xla.server --socket "{sock}" --parent-pid $$ >/dev/null & echo $!; wait'],
        cwd=RUNTIME, stdout=subprocess.PIPE, text=True, env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 120
    while not sock.exists():
        assert time.monotonic() < deadline, "the runtime never listened"
        time.sleep(0.05)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while not _gone(child):
        assert time.monotonic() < deadline, f"runtime {child} outlived its parent"
        time.sleep(0.05)
    assert not sock.exists()
