"""alto_client.Client against a real fleet (started by test/client-python.test.ts): submit,
wait, poll, cancel and list; numpy arrays in and out; a POST whose connection drops after the
gateway took it creates one prediction; a real signed delivery verifies and a tampered one does
not; the API's errors arrive as typed exceptions with code and status."""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager

import httpx
import numpy as np
import pytest

from alto_client import (
    AltoError,
    Client,
    ConflictError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    Tensor,
    UnauthorizedError,
    UnavailableError,
    WebhookRefusedError,
    WebhookVerificationError,
    verify_webhook,
)

MISSING = "tiny.01kzzzzzzzzzzzzzzzzzzzzzzz"


def x_of(seed: int, rows: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, 64), dtype=np.float32)


def expected_y(fleet, x: np.ndarray) -> np.ndarray:
    """The gateway's own JSON rendering of the same input, read without the client (under a
    key of its own, so the lists of the keys under test hold only what the tests created)."""
    key = fleet["keys"]["main"]
    r = httpx.post(
        f"{fleet['url']}/v1/models/tiny/predictions",
        json={"input": {"x": {"datatype": "FP32", "shape": list(x.shape), "data": x.ravel().tolist()}}},
        headers={"authorization": f"Bearer {key}", "prefer": "wait=30"},
        timeout=60,
    )
    body = r.json()
    assert body["status"] == "succeeded", body
    y = body["output"]["y"]
    return np.array(y["data"], np.float32).reshape(y["shape"])


@contextmanager
def worker_paused(fleet):
    os.kill(fleet["worker_pid"], signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(fleet["worker_pid"], signal.SIGCONT)


@pytest.fixture
def client(fleet):
    with Client(fleet["url"], api_key=fleet["keys"]["pyMain"]) as c:
        yield c


def test_predict_with_a_numpy_array_and_wait_returns_a_numpy_output(fleet, client):
    x = x_of(1, rows=2)
    p = client.predict("tiny", {"x": x}, wait=True, priority="high")
    assert p.status == "succeeded" and p.done
    y = p.output["y"]
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (2, 10)
    np.testing.assert_array_equal(y, expected_y(fleet, x))


def test_a_large_array_goes_as_a_binary_body_and_comes_back_the_same(fleet):
    sent = []
    http = httpx.Client(event_hooks={"request": [lambda r: sent.append(r.headers.get("content-type"))]})
    with Client(fleet["url"], api_key=fleet["keys"]["pyMain"], http=http, binary_threshold=64 * 64 * 4) as c:
        x = x_of(2, rows=64)
        p = c.predict("tiny", {"x": x}, wait=True)
    assert sent[0] == "application/octet-stream"
    np.testing.assert_array_equal(p.output["y"], expected_y(fleet, x))


def test_without_numpy_tensors_go_in_and_come_out_as_plain_lists(fleet):
    x = x_of(11)
    with Client(fleet["url"], api_key=fleet["keys"]["pyMain"], numpy=False) as c:
        p = c.predict("tiny", {"x": Tensor("FP32", [1, 64], x.ravel().tolist())}, wait=True)
    y = p.output["y"]
    assert isinstance(y, Tensor) and y.datatype == "FP32" and y.shape == [1, 10] and isinstance(y.data, list)
    np.testing.assert_array_equal(np.array(y.data, np.float32).reshape(1, 10), expected_y(fleet, x))


def test_submit_then_wait_polls_to_the_end_and_get_agrees(fleet, client):
    x = x_of(3)
    with worker_paused(fleet):
        queued = client.predict("tiny", {"x": x})
        assert queued.status == "queued" and queued.output is None
        assert client.wait(queued.id, timeout=0.3).status == "queued"
    done = client.wait(queued.id)
    assert done.status == "succeeded"
    again = client.get(queued.id)
    assert again == done
    np.testing.assert_array_equal(again.output["y"], done.output["y"])


def test_cancel_a_queued_prediction_which_never_runs(fleet, client):
    with worker_paused(fleet):
        p = client.predict("tiny", {"x": x_of(4)})
        assert client.cancel(p.id).status == "canceled"
    assert client.predict("tiny", {"x": x_of(5)}, wait=True).status == "succeeded"
    after = client.get(p.id)
    assert after.status == "canceled" and after.output is None


def test_list_pages_through_every_prediction_of_the_key_newest_first(fleet):
    with Client(fleet["url"], api_key=fleet["keys"]["pyList"]) as c:
        ids = [c.predict("tiny", {"x": x_of(10 + i)}).id for i in range(5)]
        pages = [[p.id for p in page.predictions] for page in c.list(page_size=2)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == ids[::-1]


def test_a_dropped_connection_is_retried_with_the_same_key_and_creates_one_prediction(fleet):
    with Client(fleet["drop_proxy"], api_key=fleet["keys"]["pyDrop"], backoff=0.05) as c:
        p = c.predict("tiny", {"x": x_of(6)}, wait=True)
    assert p.status == "succeeded"
    with Client(fleet["url"], api_key=fleet["keys"]["pyDrop"]) as c:
        listed = [q.id for page in c.list() for q in page.predictions]
    assert listed == [p.id]


def test_a_real_delivery_verifies_and_a_tampered_one_does_not(fleet, client, receiver):
    p = client.predict("tiny", {"x": x_of(7)}, webhook=f"{receiver.url}/hook")
    deadline = time.monotonic() + 30
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.requests, "no delivery arrived"
    d = receiver.requests[0]
    event = verify_webhook(d["headers"], d["body"], fleet["secret"])
    assert event.type == "prediction.completed" and event.data.id == p.id
    assert event.data.output["y"].shape == (1, 10)
    tampered = d["body"].replace(b'"succeeded"', b'"failed"')
    assert tampered != d["body"]
    with pytest.raises(WebhookVerificationError) as e:
        verify_webhook(d["headers"], tampered, fleet["secret"])
    assert (e.value.code, e.value.status) == ("invalid_signature", None)


def _raises(cls, code, status, fn):
    with pytest.raises(cls) as e:
        fn()
    assert isinstance(e.value, AltoError)
    assert (e.value.code, e.value.status) == (code, status), repr(e.value)


def test_the_api_errors_arrive_as_typed_exceptions(fleet, client):
    x = {"x": x_of(8)}
    with Client(fleet["url"]) as anonymous:
        _raises(UnauthorizedError, "unauthorized", 401, lambda: anonymous.predict("tiny", x))
    bad = {"x": {"datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}}
    _raises(InvalidInputError, "invalid_input", 400, lambda: client.predict("tiny", bad))
    _raises(NotFoundError, "model_not_found", 404, lambda: client.predict("nope", x))
    _raises(NotFoundError, "version_not_found", 404, lambda: client.predict("tiny", x, version="99"))
    _raises(NotFoundError, "prediction_not_found", 404, lambda: client.get(MISSING))
    _raises(NotFoundError, "prediction_not_found", 404, lambda: client.cancel(MISSING))
    _raises(WebhookRefusedError, "webhook_refused", 400, lambda: client.predict("tiny", x, webhook="http://10.1.2.3/h"))
    big = np.zeros((fleet["max_body"] // 256 + 1, 64), np.float32)
    _raises(PayloadTooLargeError, "payload_too_large", 413, lambda: client.predict("tiny", {"x": big}))
    client.predict("tiny", x, idempotency_key="py-reused")
    _raises(
        ConflictError,
        "idempotency_key_reused",
        422,
        lambda: client.predict("tiny", {"x": x_of(9)}, idempotency_key="py-reused"),
    )
    _raises(InvalidInputError, "invalid_input", 400, lambda: next(client.list(page_size=1000)))
    # tinyq takes one outstanding request; a second, while the worker is held, is refused.
    with worker_paused(fleet):
        client.predict("tinyq", x)
        _raises(RateLimitedError, "queue_full", 429, lambda: client.predict("tinyq", x))


def test_a_503_is_retried_then_raised_and_no_answer_is_a_network_error(fleet):
    sent = []
    http = httpx.Client(event_hooks={"request": [lambda r: sent.append(r.headers["idempotency-key"])]})
    with Client(fleet["redisless"], retries=2, backoff=0.01, http=http) as c:
        _raises(UnavailableError, "redis_unavailable", 503, lambda: c.predict("tiny", {"x": x_of(1)}))
    assert len(sent) == 3 and len(set(sent)) == 1
    with Client("http://127.0.0.1:1", retries=1, backoff=0.01) as dead:
        _raises(NetworkError, "network_error", None, lambda: dead.get(MISSING))
