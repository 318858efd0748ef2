"""The runtime's wire format: length-prefixed frames of a JSON header plus raw tensor bytes.

Only framing and tensor (de)serialisation live here; what each op means is server.py's job.
PROTOCOL.md is the contract a client is written from; keep the two in step.
"""

from __future__ import annotations

import json
import math
import struct
from typing import BinaryIO

import numpy as np

from .errors import RuntimeFault

# Alto's datatype names (packages/protocol/src/datatypes.ts) → little-endian numpy dtypes.
# BOOL travels as one byte per element, 0 or 1.
DTYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype("bool"),
    "UINT8": np.dtype("u1"),
    "INT8": np.dtype("i1"),
    "UINT16": np.dtype("<u2"),
    "INT16": np.dtype("<i2"),
    "UINT32": np.dtype("<u4"),
    "INT32": np.dtype("<i4"),
    "UINT64": np.dtype("<u8"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
}

_BY_NUMPY = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: name for name, dt in DTYPES.items()}

# 1 GiB: a batch of 32 × 3×1024×1024 FP32 images is 400 MB; anything past this is a bug.
DEFAULT_MAX_FRAME_BYTES = 1 << 30

_U32 = struct.Struct("<I")


def datatype_of(dtype: np.dtype) -> str | None:
    """Alto's datatype name of a numpy dtype, or None when Alto cannot carry it (e.g. bfloat16)."""
    dt = np.dtype(dtype)
    return _BY_NUMPY.get(dt.newbyteorder("=") if dt.itemsize > 1 else dt)


def encode_frame(header: dict, tensors: dict[str, np.ndarray] | None = None) -> bytes:
    """One message ready to write: u32 length, u32 header length, JSON header, tensor bytes.

    `header["tensors"]` is filled in from `tensors` (name order kept); any value given is replaced.
    """
    metas, chunks, offset = [], [], 0
    for name, array in (tensors or {}).items():
        datatype = datatype_of(array.dtype)
        if datatype is None:
            raise RuntimeFault("internal", f"tensor '{name}': dtype {array.dtype} has no Alto datatype")
        raw = np.ascontiguousarray(array, dtype=DTYPES[datatype]).tobytes()
        metas.append({"name": name, "dtype": datatype, "shape": list(array.shape), "offset": offset, "nbytes": len(raw)})
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps({**header, "tensors": metas}, separators=(",", ":")).encode()
    frame_len = 4 + len(head) + offset
    return b"".join([_U32.pack(frame_len), _U32.pack(len(head)), head, *chunks])


def decode_frame(frame: bytes | bytearray | memoryview) -> tuple[dict, dict[str, np.ndarray]]:
    """Header and tensors of one frame (the bytes after the length prefix).

    Raises RuntimeFault("bad_frame") naming what is wrong; arrays are read-only views of `frame`.
    """
    view = memoryview(frame)
    if len(view) < 4:
        raise RuntimeFault("bad_frame", f"frame of {len(view)} bytes is shorter than its 4-byte header length")
    (head_len,) = _U32.unpack_from(view, 0)
    if 4 + head_len > len(view):
        raise RuntimeFault("bad_frame", f"header length {head_len} exceeds the frame's {len(view) - 4} remaining bytes")
    try:
        header = json.loads(bytes(view[4 : 4 + head_len]))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RuntimeFault("bad_frame", f"header is not UTF-8 JSON: {e}") from None
    if not isinstance(header, dict):
        raise RuntimeFault("bad_frame", f"header must be a JSON object, got {type(header).__name__}")
    data = view[4 + head_len :]
    metas = header.get("tensors", [])
    if not isinstance(metas, list):
        raise RuntimeFault("bad_frame", "header 'tensors' must be a list")
    tensors: dict[str, np.ndarray] = {}
    for i, meta in enumerate(metas):
        name, array = _decode_tensor(i, meta, data)
        if name in tensors:
            raise RuntimeFault("bad_frame", f"tensor '{name}' appears twice")
        tensors[name] = array
    return header, tensors


def _decode_tensor(i: int, meta: object, data: memoryview) -> tuple[str, np.ndarray]:
    if not isinstance(meta, dict):
        raise RuntimeFault("bad_frame", f"tensors[{i}] must be an object")
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise RuntimeFault("bad_frame", f"tensors[{i}].name must be a non-empty string")
    dtype = meta.get("dtype")
    if dtype not in DTYPES:
        raise RuntimeFault("bad_frame", f"tensor '{name}': dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    shape, offset, nbytes = meta.get("shape"), meta.get("offset"), meta.get("nbytes")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise RuntimeFault("bad_frame", f"tensor '{name}': shape must be a list of non-negative integers, got {shape!r}")
    if not _is_count(offset) or not _is_count(nbytes):
        raise RuntimeFault("bad_frame", f"tensor '{name}': offset and nbytes must be non-negative integers")
    expected = math.prod(shape) * DTYPES[dtype].itemsize
    if nbytes != expected:
        raise RuntimeFault("bad_frame", f"tensor '{name}': {dtype} {shape} takes {expected} bytes, header says nbytes {nbytes}")
    if offset + nbytes > len(data):
        raise RuntimeFault("bad_frame", f"tensor '{name}': bytes [{offset}, {offset + nbytes}) exceed the {len(data)} data bytes")
    raw = data[offset : offset + nbytes]
    if dtype == "BOOL":
        array = np.frombuffer(raw, dtype=np.uint8) != 0  # any non-zero byte is true
    else:
        array = np.frombuffer(raw, dtype=DTYPES[dtype])
    return name, array.reshape(shape)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_message(stream: BinaryIO, max_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> bytes | None:
    """The next frame's bytes from a buffered stream, or None at a clean end of stream.

    Raises RuntimeFault("frame_too_large") before reading a frame over `max_bytes`, and
    RuntimeFault("bad_frame") when the stream ends inside a message.
    """
    prefix = stream.read(4)
    if not prefix:
        return None
    if len(prefix) < 4:
        raise RuntimeFault("bad_frame", f"stream ended inside a length prefix ({len(prefix)} of 4 bytes)")
    (length,) = _U32.unpack(prefix)
    if length > max_bytes:
        raise RuntimeFault("frame_too_large", f"frame of {length} bytes exceeds the limit of {max_bytes}")
    frame = stream.read(length)
    if len(frame) < length:
        raise RuntimeFault("bad_frame", f"stream ended after {len(frame)} of the frame's {length} bytes")
    return frame
