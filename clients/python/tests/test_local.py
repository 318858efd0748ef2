"""alto_client without a fleet: tensor encoding and decoding, input checks, error mapping and
webhook verification against signatures computed here the Standard Webhooks way."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct

import numpy as np
import pytest

from alto_client import API_ERROR_CODES, AltoError, InvalidInputError, Tensor, WebhookVerificationError, verify_webhook
from alto_client._errors import reply_error
from alto_client._tensor import decode_output, encode_request


def test_small_arrays_go_as_exact_b64_json():
    x = np.array([[1.5, np.nan, -np.inf]], np.float32)
    body, headers = encode_request(
        {"x": x, "m": {"datatype": "INT8", "shape": [1], "data": [3]}}, {"priority": "low"}, 1 << 16
    )
    assert headers == {"content-type": "application/json"}
    j = json.loads(body)
    assert j["priority"] == "low" and j["input"]["m"] == {"datatype": "INT8", "shape": [1], "data": [3]}
    got = np.frombuffer(base64.b64decode(j["input"]["x"]["b64"]), "<f4")
    np.testing.assert_array_equal(got, x.ravel())


def test_large_arrays_go_as_a_binary_body_in_input_order():
    x = np.arange(64, dtype=np.float32).reshape(1, 64)
    ids = np.array([1, -(2**60)], np.int64)
    body, headers = encode_request({"x": x, "ids": ids}, {}, 16)
    assert headers["content-type"] == "application/octet-stream"
    n = int(headers["inference-header-content-length"])
    header = json.loads(body[:n])
    assert header["input"]["x"] == {"datatype": "FP32", "shape": [1, 64], "binary_data_size": 256}
    assert header["input"]["ids"] == {"datatype": "INT64", "shape": [2], "binary_data_size": 16}
    assert body[n:] == x.tobytes() + ids.astype("<i8").tobytes()


def test_a_tensor_whose_shape_does_not_hold_its_data_is_refused_before_sending():
    with pytest.raises(InvalidInputError) as e:
        encode_request({"x": Tensor("FP32", [2, 3], [0.0] * 5)}, {}, 1 << 16)
    assert (e.value.code, e.value.status) == ("invalid_input", None)
    assert str(e.value) == "input 'x': shape [2, 3] holds 6 elements, got 5"
    with pytest.raises(InvalidInputError, match="numpy dtype complex64 has no Alto datatype"):
        encode_request({"x": np.zeros(2, np.complex64)}, {}, 1 << 16)


def test_outputs_decode_to_numpy_or_plain_lists_from_either_form():
    v = np.array([1.25, -2, np.nan, 7], np.float32)
    b64 = {"datatype": "FP32", "shape": [2, 2], "b64": base64.b64encode(v.tobytes()).decode()}
    data = {"datatype": "FP32", "shape": [2, 2], "data": [1.25, -2, None, 7]}
    np.testing.assert_array_equal(decode_output("y", b64, True), v.reshape(2, 2))
    np.testing.assert_array_equal(decode_output("y", data, True), v.reshape(2, 2))
    plain = decode_output("y", b64, False)
    assert isinstance(plain, Tensor) and plain.shape == [2, 2] and plain.data[:2] == [1.25, -2.0]
    big = decode_output(
        "n", {"datatype": "INT64", "shape": [1], "b64": base64.b64encode(struct.pack("<q", -(2**62))).decode()}, True
    )
    assert big.dtype == np.int64 and int(big[0]) == -(2**62)


def test_inputs_and_outputs_by_reference_pass_through_as_their_dicts():
    body, _ = encode_request({"x": {"uri": "gs://b/in/x.npy"}}, {"output_uri": "gs://b/out/"}, 1 << 16)
    assert json.loads(body) == {"output_uri": "gs://b/out/", "input": {"x": {"uri": "gs://b/in/x.npy"}}}
    ref = {"datatype": "FP32", "shape": [1, 2], "uri": "gs://b/out/m.01/y.npy"}
    assert decode_output("y", ref, True) == ref
    assert decode_output("y", ref, False) == ref


def test_every_api_error_code_maps_to_an_alto_error_with_code_and_status():
    # The gateway's codes and statuses, from @alto/protocol, when run by test/client-python.test.ts.
    statuses = json.loads(os.environ.get("ALTO_SDK_ERROR_STATUSES", "{}")) or {"invalid_input": 400, "queue_full": 429}
    if os.environ.get("ALTO_SDK_ERROR_STATUSES"):
        assert list(API_ERROR_CODES) == list(statuses)
    for code, status in statuses.items():
        e = reply_error(status, json.dumps({"error": {"code": code, "message": f"m {code}"}}), "GET /x")
        assert isinstance(e, AltoError) and (e.code, e.status, str(e)) == (code, status, f"m {code}")
        assert e.retryable == (status in (429, 503))
    e = reply_error(502, "<html>bad gateway</html>", "GET /x")
    assert (e.code, e.status) == ("invalid_response", 502)


def _sign(secret: str, wid: str, ts: int, body: bytes) -> str:
    key = base64.b64decode(secret[len("whsec_") :])
    return "v1," + base64.b64encode(hmac.new(key, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()


def test_verify_webhook_accepts_a_signed_body_and_refuses_tampering_staleness_and_other_secrets():
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    pred = {
        "id": "tiny.1",
        "model": "tiny",
        "version": "1",
        "status": "succeeded",
        "output": None,
        "error": None,
        "created_at": "t",
        "started_at": None,
        "completed_at": None,
        "metrics": {},
        "urls": {},
        "webhooks": None,
    }
    body = json.dumps({"type": "prediction.completed", "timestamp": "t", "data": pred}).encode()
    ts = 1_780_000_000
    headers = {
        "Webhook-Id": "tiny.1.completed",
        "Webhook-Timestamp": str(ts),
        "Webhook-Signature": _sign(secret, "tiny.1.completed", ts, body),
    }
    assert verify_webhook(headers, body, secret, now=ts).data.id == "tiny.1"
    with pytest.raises(WebhookVerificationError, match="no signature in webhook-signature matches"):
        verify_webhook(headers, body.replace(b"succeeded", b"failed"), secret, now=ts)
    with pytest.raises(WebhookVerificationError, match="webhook-timestamp is 301 s from now"):
        verify_webhook(headers, body, secret, now=ts + 301)
    other = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    assert verify_webhook(headers, body, f"{other} {secret}", now=ts).type == "prediction.completed"
    with pytest.raises(WebhookVerificationError) as e:
        verify_webhook(headers, body, other, now=ts)
    assert e.value.code == "invalid_signature"
