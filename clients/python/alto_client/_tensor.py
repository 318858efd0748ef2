"""Tensors on the wire: what a datatype is in numpy and in ``struct``, input checks, request
bodies (JSON with exact ``b64``, or the binary tensor extension past a size threshold) and
output decoding (numpy arrays when numpy is there, else :class:`Tensor` with a flat list)."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import InvalidInputError, InvalidResponseError

try:  # numpy is optional: arrays in and out when present
    import numpy as np
except ImportError:  # pragma: no cover - exercised only without numpy
    np = None  # type: ignore[assignment]

DATATYPES = ("BOOL", "UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "UINT64", "INT64", "FP16", "FP32", "FP64")

# struct format character and element size of each datatype (little-endian on the wire).
_STRUCT = {
    "BOOL": ("?", 1),
    "UINT8": ("B", 1),
    "INT8": ("b", 1),
    "UINT16": ("H", 2),
    "INT16": ("h", 2),
    "UINT32": ("I", 4),
    "INT32": ("i", 4),
    "UINT64": ("Q", 8),
    "INT64": ("q", 8),
    "FP16": ("e", 2),
    "FP32": ("f", 4),
    "FP64": ("d", 8),
}

_NUMPY = {
    "BOOL": "bool",
    "UINT8": "<u1",
    "INT8": "<i1",
    "UINT16": "<u2",
    "INT16": "<i2",
    "UINT32": "<u4",
    "INT32": "<i4",
    "UINT64": "<u8",
    "INT64": "<i8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}

BINARY_CONTENT_TYPE = "application/octet-stream"


@dataclass
class Tensor:
    """A tensor without numpy: ``data`` is flat and row-major (a list, or little-endian bytes)."""

    datatype: str
    shape: list[int]
    data: list[Any] | bytes

    def to_bytes(self) -> bytes:
        if isinstance(self.data, (bytes, bytearray, memoryview)):
            return bytes(self.data)
        fmt, _ = _STRUCT[self.datatype]
        return struct.pack(f"<{len(self.data)}{fmt}", *self.data)


def _count(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _datatype_of(dtype: Any, where: str) -> str:
    # Kind and size decide; the byte order is made little-endian when the bytes are taken.
    for name, spelled in _NUMPY.items():
        want = np.dtype(spelled)
        if dtype.kind == want.kind and dtype.itemsize == want.itemsize:
            return name
    raise InvalidInputError("invalid_input", f"{where}: numpy dtype {dtype} has no Alto datatype")


def check_input(name: str, t: Any) -> tuple[tuple[str, list[int], bytes] | None, Any]:
    """Returns ((datatype, shape, little-endian bytes), None) for an array or Tensor, or
    (None, the JSON tensor as given). Raises InvalidInputError naming the input."""
    where = f"input '{name}'"
    if np is not None and isinstance(t, np.ndarray):
        dt = _datatype_of(t.dtype, where)
        data = np.ascontiguousarray(t, dtype=np.dtype(_NUMPY[dt]))
        return (dt, list(t.shape), data.tobytes()), None
    if isinstance(t, Tensor):
        if t.datatype not in DATATYPES:
            raise InvalidInputError(
                "invalid_input", f"{where}: expected a datatype of {', '.join(DATATYPES)}, got {t.datatype!r}"
            )
        if not all(isinstance(d, int) and d >= 0 for d in t.shape):
            raise InvalidInputError(
                "invalid_input", f"{where}: expected shape as non-negative integers, got {list(t.shape)}"
            )
        raw = t.to_bytes()
        size = _STRUCT[t.datatype][1]
        count = _count(t.shape)
        if len(raw) != count * size:
            raise InvalidInputError(
                "invalid_input",
                f"{where}: shape {list(t.shape)} holds {count} elements, got {len(raw) // size}",
            )
        return (t.datatype, list(t.shape), raw), None
    if isinstance(t, Mapping):
        return None, dict(t)
    raise InvalidInputError(
        "invalid_input", f"{where}: expected a numpy array, a Tensor or a JSON tensor, got {type(t).__name__}"
    )


def encode_request(
    inputs: Mapping[str, Any], fields: dict[str, Any], binary_threshold: int
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a prediction request; every tensor is checked first."""
    if not isinstance(inputs, Mapping):
        raise InvalidInputError(
            "invalid_input", f"inputs: expected a mapping of input name to tensor, got {type(inputs).__name__}"
        )
    checked = {name: check_input(name, t) for name, t in inputs.items()}
    total = sum(len(c[2]) for c, _ in checked.values() if c is not None)
    binary = any(c is not None for c, _ in checked.values()) and total >= binary_threshold
    body_input: dict[str, Any] = {}
    for name, (c, as_json) in checked.items():
        if c is None:
            body_input[name] = as_json
        elif binary:
            body_input[name] = {"datatype": c[0], "shape": c[1], "binary_data_size": len(c[2])}
        else:
            body_input[name] = {"datatype": c[0], "shape": c[1], "b64": base64.b64encode(c[2]).decode("ascii")}
    header = json.dumps({**fields, "input": body_input}, separators=(",", ":")).encode("utf-8")
    if not binary:
        return header, {"content-type": "application/json"}
    raw = b"".join(c[2] for c, _ in checked.values() if c is not None)
    return header + raw, {"content-type": BINARY_CONTENT_TYPE, "inference-header-content-length": str(len(header))}


def decode_output(name: str, t: Mapping[str, Any], use_numpy: bool) -> Any:
    """An output tensor: a numpy array of its shape, or a Tensor with a flat list; an output
    written to an object (output_uri) as its ``{"datatype", "shape", "uri"}`` dict."""
    what = f"output '{name}'"
    if "uri" in t:
        return {"datatype": t["datatype"], "shape": list(t["shape"]), "uri": t["uri"]}
    datatype, shape = t["datatype"], list(t["shape"])
    fmt, size = _STRUCT[datatype]
    count = _count(shape)
    if "b64" in t:
        raw = base64.b64decode(t["b64"].replace("-", "+").replace("_", "/"))
        if len(raw) != count * size:
            raise InvalidResponseError(
                "invalid_response", f"{what}: shape {shape} of {datatype} needs {count * size} bytes, got {len(raw)}"
            )
        if use_numpy:
            return np.frombuffer(raw, dtype=np.dtype(_NUMPY[datatype])).reshape(shape).copy()
        return Tensor(datatype, shape, list(struct.unpack(f"<{count}{fmt}", raw)))
    values = [float("nan") if v is None else v for v in t["data"]]
    if len(values) != count:
        raise InvalidResponseError("invalid_response", f"{what}: shape {shape} holds {count}, got {len(values)} values")
    if use_numpy:
        return np.array(values, dtype=np.dtype(_NUMPY[datatype])).reshape(shape)
    return Tensor(datatype, shape, values)
