"""What the Python peers share: Alto's request body decoded into numpy, one onnxruntime session
with the same thread budget as Alto's worker, and Alto's response shape, so that the bench
client sends the same bytes to every server and reads the same answer back.
"""

from __future__ import annotations

import base64
import os

import numpy as np
import onnxruntime as ort

DTYPES = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32, "UINT8": np.uint8}
NAMES = {np.dtype(v).name: k for k, v in DTYPES.items()}


def session(model_path: str) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("THREADS", "1"))
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])


def decode(body: dict) -> dict[str, np.ndarray]:
    """Alto's JSON body: {"input": {name: {datatype, shape, data | b64}}} → arrays."""
    out = {}
    for name, t in body["input"].items():
        dtype = DTYPES[t.get("datatype", "FP32")]
        if "b64" in t:
            arr = np.frombuffer(base64.b64decode(t["b64"]), dtype=dtype)
        else:
            arr = np.asarray(t["data"], dtype=dtype)
        out[name] = arr.reshape(t["shape"])
    return out


def run_batch(sess: ort.InferenceSession, requests: list[dict[str, np.ndarray]]) -> list[dict]:
    """One session.run over the requests' rows concatenated; each request gets its own rows back."""
    names = list(requests[0])
    feeds = {n: np.concatenate([r[n] for r in requests]) if len(requests) > 1 else requests[0][n] for n in names}
    outs = sess.run(None, feeds)
    out_names = [o.name for o in sess.get_outputs()]
    rows = [len(r[names[0]]) for r in requests]
    results, start = [], 0
    for n in rows:
        results.append({name: o[start : start + n] for name, o in zip(out_names, outs)})
        start += n
    return results


def encode(outputs: dict[str, np.ndarray]) -> dict:
    """Alto's answer shape: {"status", "output": {name: {datatype, shape, data}}}."""
    return {
        "status": "succeeded",
        "output": {
            n: {"datatype": NAMES.get(a.dtype.name, "FP32"), "shape": list(a.shape), "data": a.ravel().tolist()}
            for n, a in outputs.items()
        },
    }
