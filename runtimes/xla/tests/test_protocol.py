"""The frame codec: every Alto datatype round-trips bit-exactly in little-endian, empty and
scalar tensors survive, and each kind of malformed frame is rejected with `bad_frame`."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest

from alto_xla.errors import RuntimeFault
from alto_xla.protocol import DTYPES, decode_frame, encode_frame, read_message


def body(message: bytes) -> bytes:
    """The frame after the 4-byte length prefix, checking the prefix on the way."""
    (length,) = struct.unpack_from("<I", message)
    assert length == len(message) - 4
    return message[4:]


def raw_frame(header: object, data: bytes = b"") -> bytes:
    head = json.dumps(header).encode()
    return struct.pack("<I", len(head)) + head + data


@pytest.mark.parametrize("datatype", list(DTYPES))
def test_every_datatype_round_trips_bit_exactly(datatype):
    rng = np.random.default_rng(1)
    dtype = DTYPES[datatype]
    if datatype == "BOOL":
        array = rng.integers(0, 2, (3, 5)).astype(bool)
    elif dtype.kind == "f":
        array = rng.standard_normal((3, 5)).astype(dtype)
    else:
        info = np.iinfo(dtype)
        array = rng.integers(info.min, info.max, (3, 5), dtype=dtype, endpoint=True)
    header, tensors = decode_frame(body(encode_frame({"op": "run"}, {"t": array})))
    assert header["tensors"] == [{"name": "t", "dtype": datatype, "shape": [3, 5], "offset": 0, "nbytes": array.nbytes}]
    assert tensors["t"].dtype == array.dtype
    assert tensors["t"].tobytes() == array.tobytes()


def test_tensor_bytes_are_little_endian_raw_values():
    message = encode_frame({}, {"a": np.array([1.0], np.float32), "b": np.array([1], np.dtype(">i8"))})
    assert message.endswith(b"\x00\x00\x80\x3f" + b"\x01" + b"\x00" * 7)


def test_empty_and_scalar_tensors_round_trip_with_offsets_in_order():
    tensors = {"empty": np.zeros((0, 3), np.float32), "scalar": np.array(7, np.int32), "vec": np.arange(4, dtype=np.int64)}
    header, decoded = decode_frame(body(encode_frame({"op": "x", "id": 9}, tensors)))
    assert header["op"] == "x" and header["id"] == 9
    assert [(m["offset"], m["nbytes"]) for m in header["tensors"]] == [(0, 0), (0, 4), (4, 32)]
    assert decoded["empty"].shape == (0, 3)
    assert decoded["scalar"].shape == () and decoded["scalar"] == 7
    assert decoded["vec"].tolist() == [0, 1, 2, 3]


def test_a_frame_without_tensors_decodes_to_no_tensors():
    header, tensors = decode_frame(raw_frame({"op": "ping"}))
    assert header == {"op": "ping"} and tensors == {}


def test_bool_bytes_other_than_zero_read_as_true():
    meta = {"name": "m", "dtype": "BOOL", "shape": [3], "offset": 0, "nbytes": 3}
    _, tensors = decode_frame(raw_frame({"tensors": [meta]}, b"\x00\x02\x01"))
    assert tensors["m"].tolist() == [False, True, True]


def meta(**overrides):
    return {"name": "x", "dtype": "FP32", "shape": [2], "offset": 0, "nbytes": 8, **overrides}


@pytest.mark.parametrize(
    "frame, message",
    [
        (b"\x01\x00", "shorter than"),
        (struct.pack("<I", 50) + b"{}", "exceeds the frame"),
        (struct.pack("<I", 3) + b"{x}", "not UTF-8 JSON"),
        (struct.pack("<I", 2) + b"\xff\xfe", "not UTF-8 JSON"),
        (raw_frame([1, 2]), "must be a JSON object"),
        (raw_frame({"tensors": {"x": 1}}), "'tensors' must be a list"),
        (raw_frame({"tensors": ["x"]}, b"\x00" * 8), "must be an object"),
        (raw_frame({"tensors": [meta(name="")]}, b"\x00" * 8), "non-empty string"),
        (raw_frame({"tensors": [meta(dtype="BF16")]}, b"\x00" * 8), "dtype must be one of"),
        (raw_frame({"tensors": [meta(shape=[-2])]}, b"\x00" * 8), "non-negative integers"),
        (raw_frame({"tensors": [meta(shape=[2.0])]}, b"\x00" * 8), "non-negative integers"),
        (raw_frame({"tensors": [meta(offset=-1)]}, b"\x00" * 8), "offset and nbytes"),
        (raw_frame({"tensors": [meta(nbytes=7)]}, b"\x00" * 8), "takes 8 bytes"),
        (raw_frame({"tensors": [meta(offset=4)]}, b"\x00" * 8), "exceed the 8 data bytes"),
        (raw_frame({"tensors": [meta(), meta()]}, b"\x00" * 8), "appears twice"),
    ],
)
def test_malformed_frames_are_rejected_as_bad_frame(frame, message):
    with pytest.raises(RuntimeFault) as raised:
        decode_frame(frame)
    assert raised.value.code == "bad_frame"
    assert message in raised.value.message


def test_read_message_returns_frames_in_order_then_none_at_end_of_stream():
    stream = io.BytesIO(encode_frame({"n": 1}) + encode_frame({"n": 2}))
    assert decode_frame(read_message(stream))[0]["n"] == 1
    assert decode_frame(read_message(stream))[0]["n"] == 2
    assert read_message(stream) is None


def test_read_message_refuses_a_frame_over_the_limit_before_reading_it():
    with pytest.raises(RuntimeFault) as raised:
        read_message(io.BytesIO(struct.pack("<I", 1001) + b"\x00" * 1001), max_bytes=1000)
    assert raised.value.code == "frame_too_large"


@pytest.mark.parametrize("data", [b"\x05\x00", struct.pack("<I", 10) + b"abc"])
def test_read_message_rejects_a_stream_that_ends_inside_a_message(data):
    with pytest.raises(RuntimeFault) as raised:
        read_message(io.BytesIO(data))
    assert raised.value.code == "bad_frame"
