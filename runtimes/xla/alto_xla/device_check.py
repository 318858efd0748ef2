"""Device check: serves the demo XLA models on the accelerator JAX finds and on CPU, checks
the outputs agree, and measures rows/s at batch 1 and 32 through the runtime's socket.

Run through scripts/device-check.sh. Without an accelerator it runs the CPU half and says so.
Not a benchmark suite: one quick, repeatable figure per model and batch size.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .client import Client

MODELS = ("tiny-xla", "conv-xla")
BATCHES = (1, 32)
TOLERANCE = 1e-5


def start(socket_path: Path, platforms: str | None) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("JAX_PLATFORMS", None)
    if platforms:
        env["JAX_PLATFORMS"] = platforms
    proc = subprocess.Popen([sys.executable, "-m", "alto_xla.server", "--socket", str(socket_path)], stdout=subprocess.PIPE, text=True, env=env)
    readable, _, _ = select.select([proc.stdout], [], [], 300)  # JAX's device start-up, on a cold GPU
    line = proc.stdout.readline() if readable else ""
    if not line:
        proc.kill()
        raise SystemExit(f"device-check: the runtime (JAX_PLATFORMS={platforms or 'unset'}) exited with {proc.wait()} before ready")
    return proc


def inputs_for(meta: dict, rows: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {i["name"]: rng.standard_normal((rows, *i["shape"][1:])).astype(np.float32) for i in meta["inputs"]}


def throughput(client: Client, model: str, meta: dict, rows: int, seconds: float) -> dict:
    tensors = inputs_for(meta, rows, seed=rows)
    client.request("run", tensors, model=model, version="1")  # one untimed run
    runs, run_ms, started = 0, 0.0, time.perf_counter()
    while True:
        header, _ = client.request("run", tensors, model=model, version="1")
        runs += 1
        run_ms += header["run_ms"]
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and runs >= 5:
            break
    return {"rows_per_s": round(rows * runs / elapsed, 1), "runs": runs, "mean_run_ms": round(run_ms / runs, 3),
            "mean_request_ms": round(elapsed * 1000 / runs, 3)}


def check(models_dir: Path, seconds: float, models=MODELS, batches=BATCHES, tolerance=TOLERANCE) -> dict:
    summary: dict = {"tolerance": tolerance, "models": {}}
    with tempfile.TemporaryDirectory(prefix="alto-xla-check-") as tmp:
        procs = {"cpu": start(Path(tmp) / "cpu.sock", "cpu")}
        try:
            clients = {"cpu": Client(str(Path(tmp) / "cpu.sock"))}
            accel_proc = start(Path(tmp) / "accel.sock", None)
            accel = Client(str(Path(tmp) / "accel.sock"))
            devices = accel.request("devices")[0]
            summary["devices"] = {k: devices[k] for k in ("kind", "model", "count", "memory_bytes_per_device", "jax_version", "platform_version")}
            if devices["kind"] == "cpu":
                print("device-check: no GPU or TPU visible to JAX; running the CPU half only")
                accel.close()
                accel_proc.terminate()
                accel_proc.wait()
            else:
                procs["accel"], clients["accel"] = accel_proc, accel
            for model in models:
                summary["models"][model] = check_model(clients, model, models_dir / model / "1", seconds, batches)
        finally:
            for proc in procs.values():
                proc.terminate()
                proc.wait(timeout=30)
    accel_ok = [m.get("max_abs_diff", 0) <= tolerance for m in summary["models"].values()]
    summary["accelerator"] = summary["devices"]["kind"] if summary["devices"]["kind"] != "cpu" else None
    summary["ok"] = all(accel_ok)
    return summary


def check_model(clients: dict[str, Client], model: str, directory: Path, seconds: float, batches=BATCHES) -> dict:
    result: dict = {}
    metas = {}
    for side, client in clients.items():
        meta = client.request("load", model=model, version="1", dir=str(directory))[0]
        metas[side] = meta
        result[side] = {"compile_ms": meta["compile_ms"], "memory_bytes": meta["memory_bytes"]}
    if "accel" in clients:
        diffs = []
        for rows in (1, 5, 32):
            tensors = inputs_for(metas["cpu"], rows, seed=100 + rows)
            cpu = clients["cpu"].request("run", tensors, model=model, version="1")[1]
            acc = clients["accel"].request("run", tensors, model=model, version="1")[1]
            diffs += [float(np.max(np.abs(cpu[k].astype(np.float64) - acc[k]))) for k in cpu]
        result["max_abs_diff"] = max(diffs)
    for side, client in clients.items():
        for rows in batches:
            result[side][f"batch_{rows}"] = throughput(client, model, metas[side], rows, seconds)
    return result


def report(summary: dict) -> None:
    tolerance = summary["tolerance"]
    d = summary["devices"]
    print(f"devices: {d['count']} × {d['kind']} {d['model']} (jax {d['jax_version']})")
    for model, r in summary["models"].items():
        line = f"{model}:"
        if "max_abs_diff" in r:
            line += f" accelerator vs cpu max |diff| {r['max_abs_diff']:.2e} ({'ok' if r['max_abs_diff'] <= tolerance else 'MISMATCH'});"
        print(line)
        for side in ("accel", "cpu"):
            if side not in r:
                continue
            name = d["kind"] if side == "accel" else "cpu"
            sizes = sorted(int(k[len("batch_"):]) for k in r[side] if k.startswith("batch_"))
            rates = ", ".join(f"batch {b}: {r[side][f'batch_{b}']['rows_per_s']} rows/s" for b in sizes)
            print(f"  {name:4} compile_ms {r[side]['compile_ms']}; {rates}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m alto_xla.device_check", description=__doc__)
    parser.add_argument("--models", type=Path, required=True, help="the repository's models/ directory")
    parser.add_argument("--seconds", type=float, default=2.0, help="how long each throughput figure runs")
    parser.add_argument("--out", type=Path, help="write the JSON summary here")
    parser.add_argument("--names", default=",".join(MODELS), help="models to check, comma-separated")
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)), help="batch sizes to measure, comma-separated")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="largest accelerator-vs-CPU |diff| accepted")
    args = parser.parse_args()
    names = tuple(n for n in args.names.split(",") if n)
    batches = tuple(int(b) for b in args.batches.split(",") if b)
    summary = check(args.models, args.seconds, names, batches, args.tolerance)
    report(summary)
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"summary: {args.out}")
    sys.exit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
