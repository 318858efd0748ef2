"""Client half of scripts/device-e2e.sh: talks to a running gateway (Alto's own API) and checks
what the worker serves on the accelerator against the same export run on CPU in this process.

Usage: python scripts/device_e2e.py <gateway url> <models dir> <out json>
Standard library + numpy + the XLA runtime's own model loader (JAX_PLATFORMS=cpu is set for
this process by the caller, so the reference is the CPU result).
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np

from alto_xla.model import LoadedModel

TOLERANCE = {"tiny-xla": 1e-5, "conv-xla": 1e-5, "mlp-xla": 1e-4, "tiny": 1e-5}


def request(url: str, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    payload = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, payload, {"content-type": "application/json", **(headers or {})})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, json.loads(data) if data else None


def wait_ready(url: str, models: list[str], seconds: float) -> dict:
    deadline = time.time() + seconds
    last = {}
    next_report = time.time() + 20
    while time.time() < deadline:
        ready = {}
        for m in models:
            try:
                status, body = request(url, "GET", f"/v1/models/{m}")
            except OSError:
                status, body = 0, None
            last[m] = (status, body)
            ready[m] = status == 200 and bool(body) and body.get("ready_replicas", body.get("ready", 0))
        if all(ready.values()):
            return {m: last[m][1] for m in models}
        if time.time() >= next_report:
            print(f"device-e2e: waiting; ready: {ready}", flush=True)
            next_report = time.time() + 20
        time.sleep(1)
    raise SystemExit(f"device-e2e: models not ready after {seconds} s: {json.dumps({m: last[m] for m in models})[:2000]}")


def predict(url: str, model: str, name: str, x: np.ndarray) -> dict:
    body = {"input": {name: {"datatype": "FP32", "shape": list(x.shape), "data": x.ravel().tolist()}}}
    status, p = request(url, "POST", f"/v1/models/{model}/predictions", body, {"prefer": "wait=120"})
    if status != 200 or p.get("status") != "succeeded":
        raise SystemExit(f"device-e2e: {model} answered {status}: {json.dumps(p)[:1000]}")
    return p


def load_rate(url: str, model: str, name: str, x: np.ndarray, concurrency: int, seconds: float) -> dict:
    body = json.dumps({"input": {name: {"datatype": "FP32", "shape": list(x.shape), "data": x.ravel().tolist()}}}).encode()
    u = urllib.parse.urlparse(url)
    done, errors, latencies = [0], [0], []
    lock = threading.Lock()
    stop = time.time() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        while time.time() < stop:
            t = time.perf_counter()
            conn.request("POST", f"/v1/models/{model}/predictions", body, {"content-type": "application/json", "prefer": "wait=60"})
            r = conn.getresponse()
            r.read()
            with lock:
                if r.status == 200:
                    done[0] += 1
                    latencies.append(time.perf_counter() - t)
                else:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    lat = np.array(latencies) * 1000
    return {"concurrency": concurrency, "seconds": round(elapsed, 1), "predictions_per_s": round(done[0] / elapsed, 1),
            "errors": errors[0], "p50_ms": round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
            "p99_ms": round(float(np.percentile(lat, 99)), 1) if len(lat) else None}


def main() -> None:
    url, models_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    models = sorted(p.name for p in models_dir.iterdir() if p.is_dir())
    summary: dict = {"models": {}}
    meta = wait_ready(url, models, float(os.environ.get("DEVICE_E2E_READY_S", "240")))
    summary["metadata"] = meta
    for i, model in enumerate(models):
        spec = meta[model]["inputs"][0]
        name, shape = spec["name"], spec["shape"][1:]
        inputs = {rows: np.random.default_rng(1000 * i + rows).standard_normal((rows, *shape)).astype(np.float32) for rows in (1, 3, 16)}
        results = {rows: predict(url, model, name, x) for rows, x in inputs.items()}
        if model == "tiny":
            # ONNX on the worker's CPU (onnxruntime-node): served, with the declared shape.
            out_name = next(iter(results[16]["output"]))
            summary["models"][model] = {"served": True, "shape": results[16]["output"][out_name]["shape"]}
            print(f"device-e2e: {model} (onnx, cpu) served")
            continue
        reference = LoadedModel(model, "1", models_dir / model / "1")
        diffs = []
        for rows, x in inputs.items():
            ref, _ = reference.run({name: x})
            for k, v in ref.items():
                got = np.array(results[rows]["output"][k]["data"], dtype=np.float64).reshape(v.shape)
                diffs.append(float(np.max(np.abs(got - v.astype(np.float64)))))
        ok = max(diffs) <= TOLERANCE[model]
        summary["models"][model] = {"max_abs_diff_vs_cpu": max(diffs), "tolerance": TOLERANCE[model], "ok": ok,
                                    "prediction": {k: v for k, v in results[16].items() if k != "output"}}
        print(f"device-e2e: {model} served; max |diff| vs CPU {max(diffs):.2e} ({'ok' if ok else 'MISMATCH'})")
    rng = np.random.default_rng(5)
    summary["load"] = {}
    for model in [m for m in ("mlp-xla", "conv-xla") if m in models]:
        spec = meta[model]["inputs"][0]
        x = rng.standard_normal((1, *spec["shape"][1:])).astype(np.float32)
        for c in (1, 64):
            summary["load"][f"{model}@{c}"] = r = load_rate(url, model, spec["name"], x, c, 8)
            print(f"device-e2e: {model} concurrency {c}: {r}")
    summary["ok"] = all(m.get("ok", True) for m in summary["models"].values())
    out.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    sys.exit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
