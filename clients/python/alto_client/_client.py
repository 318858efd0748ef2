"""Client and AsyncClient: the same surface over httpx, sync and async. Requests are built and
replies read in _Calls; each class only sends. A request that got no answer or a 503 is sent
again with backoff, the same bytes and the same Idempotency-Key each time, so a prediction is
created once however often its POST is sent."""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from ._errors import AltoError, InvalidInputError, InvalidResponseError, NetworkError, reply_error
from ._prediction import TERMINAL, Page, Prediction
from ._tensor import encode_request, np

# The longest single `Prefer: wait` a GET asks for; the gateway caps every hold (ALTO_MAX_WAIT_SECONDS).
MAX_WAIT_SECONDS = 60
# How long a bare `Prefer: wait` may hold the answer, for the request's timeout.
LONGEST_HOLD = 600
POLL_START = 0.1
POLL_MAX = 2.0


@dataclass
class _Request:
    method: str
    path: str
    content: bytes | None = None
    headers: dict[str, str] | None = None
    timeout: float | None = None


def _id_path(pid: str) -> str:
    return f"/v1/predictions/{quote(pid, safe='')}"


class _Calls:
    """What both clients share: options, request building, retry policy, reply reading."""

    def __init__(
        self,
        url: str,
        api_key: str | None,
        retries: int,
        backoff: float,
        timeout: float,
        binary_threshold: int,
        numpy: bool | None,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidInputError("invalid_input", f"url: expected an http:// or https:// origin, got {url!r}")
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.binary_threshold = binary_threshold
        if numpy and np is None:
            raise InvalidInputError(
                "invalid_input", "numpy=True: numpy is not installed (pip install 'alto-client[numpy]')"
            )
        self.numpy = np is not None if numpy is None else numpy

    def headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        h = {"accept": "application/json", **(extra or {})}
        if self.api_key:
            h["authorization"] = f"Bearer {self.api_key}"
        return h

    def predict_request(
        self,
        model: str,
        inputs: Mapping[str, Any],
        wait: bool | float,
        timeout_ms: int | None,
        priority: str | None,
        webhook: str | None,
        webhook_events: Sequence[str] | None,
        idempotency_key: str | None,
        version: str | None,
        output_uri: str | None = None,
    ) -> tuple[_Request, float]:
        fields: dict[str, Any] = {"response_format": "b64"}
        if timeout_ms is not None:
            fields["timeout_ms"] = timeout_ms
        if priority is not None:
            fields["priority"] = priority
        if webhook is not None:
            fields["webhook"] = webhook
        if webhook_events is not None:
            fields["webhook_events_filter"] = list(webhook_events)
        if output_uri is not None:
            fields["output_uri"] = output_uri
        content, headers = encode_request(inputs, fields, self.binary_threshold)
        path = (
            f"/v1/models/{quote(model, safe='')}/predictions"
            if version is None
            else f"/v1/models/{quote(model, safe='')}/versions/{quote(version, safe='')}/predictions"
        )
        now = time.monotonic()
        deadline = float("inf") if wait is True else now + float(wait) if wait else now
        # True: a bare `Prefer: wait`, the gateway's longest hold (it caps every hold); a number: the whole
        # seconds within it. Then polling, to the deadline.
        wait_s = LONGEST_HOLD if wait is True else math.floor(wait) if wait else 0
        # One key for every attempt of this call: a retry after a lost answer finds the first prediction.
        headers["idempotency-key"] = idempotency_key or str(uuid.uuid4())
        if wait is True:
            headers["prefer"] = "wait"
        elif wait_s > 0:
            headers["prefer"] = f"wait={wait_s}"
        return _Request("POST", path, content, headers, self.timeout + wait_s), deadline

    def get_request(self, pid: str, wait_s: int = 0) -> _Request:
        return _Request(
            "GET",
            _id_path(pid),
            headers={"prefer": f"wait={wait_s}"} if wait_s else None,
            timeout=self.timeout + wait_s,
        )

    def list_request(
        self, model: str | None, status: str | None, page_size: int | None, cursor: str | None
    ) -> _Request:
        q = {
            k: v
            for k, v in (("model", model), ("status", status), ("limit", page_size), ("cursor", cursor))
            if v is not None
        }
        return _Request("GET", f"/v1/predictions{'?' + urlencode(q) if q else ''}")

    def retry_delay(self, err: AltoError, attempt: int) -> float | None:
        """Seconds to wait before sending again, or None to give up."""
        if attempt >= self.retries or not (err.code in ("network_error", "timeout") or err.status == 503):
            return None
        backoff = self.backoff * 2**attempt * random.uniform(0.8, 1.2)
        return min(max(err.retry_after or 0, backoff), 30.0)

    def read(self, req: _Request, res: httpx.Response) -> Any:
        what = f"{req.method} {self.url}{req.path}"
        if res.status_code >= 300:
            err = reply_error(res.status_code, res.text, what)
            ra = res.headers.get("retry-after", "")
            err.retry_after = float(ra) if ra.isdigit() else None
            raise err
        try:
            return res.json()
        except ValueError:
            raise InvalidResponseError(
                "invalid_response", f"{what}: HTTP {res.status_code} reply is not JSON", res.status_code
            ) from None

    def network_error(self, req: _Request, err: Exception) -> AltoError:
        what = f"{req.method} {self.url}{req.path}"
        if isinstance(err, httpx.TimeoutException):
            return NetworkError("timeout", f"{what}: no answer within {req.timeout or self.timeout} s")
        return NetworkError("network_error", f"{what}: {type(err).__name__}: {err}")

    def prediction(self, j: Any) -> Prediction:
        return Prediction.from_json(j, self.numpy)


def _poll_wait_seconds(deadline: float) -> int:
    left = deadline - time.monotonic()
    return max(0, min(MAX_WAIT_SECONDS, int(left))) if left != float("inf") else MAX_WAIT_SECONDS


class Client:
    """A client of the fleet at ``url``. Use as a context manager, or call close().

    ``retries``: attempts after the first for no answer and 503 (default 3); ``backoff``:
    first delay in seconds, doubled each time (a Retry-After waits at least that);
    ``timeout``: seconds per request beyond any wait it asks for; ``binary_threshold``: send
    array tensors as a binary body once their bytes reach this; ``numpy``: arrays out (default:
    when numpy is installed)."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        retries: int = 3,
        backoff: float = 0.25,
        timeout: float = 30.0,
        binary_threshold: int = 65536,
        numpy: bool | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self._c = _Calls(url, api_key, retries, backoff, timeout, binary_threshold, numpy)
        self._http = http or httpx.Client()

    @property
    def url(self) -> str:
        return self._c.url

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, req: _Request) -> tuple[Any, bool]:
        """The reply's JSON, and whether the server applied a Prefer: wait."""
        attempt = 0
        while True:
            try:
                try:
                    res = self._http.request(
                        req.method,
                        f"{self._c.url}{req.path}",
                        content=req.content,
                        headers=self._c.headers(req.headers),
                        timeout=req.timeout or self._c.timeout,
                    )
                except httpx.TransportError as e:
                    raise self._c.network_error(req, e) from e
                return self._c.read(req, res), "preference-applied" in res.headers
            except AltoError as err:
                delay = self._c.retry_delay(err, attempt)
                if delay is None:
                    raise
                time.sleep(delay)
                attempt += 1

    def predict(
        self,
        model: str,
        inputs: Mapping[str, Any],
        *,
        wait: bool | float = False,
        timeout_ms: int | None = None,
        priority: str | None = None,
        webhook: str | None = None,
        webhook_events: Sequence[str] | None = None,
        idempotency_key: str | None = None,
        version: str | None = None,
        output_uri: str | None = None,
    ) -> Prediction:
        """Submits a prediction. ``inputs``: name -> numpy array, Tensor, or JSON tensor dict
        (``{"uri": "gs://..."}`` names an object, docs/payloads.md). ``wait``: True until terminal,
        a number of seconds at most, False not at all. ``output_uri``: a folder the worker writes
        each output to as .npy; such outputs come back as ``{"datatype", "shape", "uri"}`` dicts."""
        req, deadline = self._c.predict_request(
            model, inputs, wait, timeout_ms, priority, webhook, webhook_events, idempotency_key, version, output_uri
        )
        p, _ = self._send(req)
        if p["status"] in TERMINAL or time.monotonic() >= deadline:
            return self._c.prediction(p)
        return self._wait(p["id"], deadline)

    def get(self, prediction_id: str) -> Prediction:
        return self._c.prediction(self._send(self._c.get_request(prediction_id))[0])

    def cancel(self, prediction_id: str) -> Prediction:
        return self._c.prediction(self._send(_Request("POST", f"{_id_path(prediction_id)}/cancel"))[0])

    def wait(self, prediction_id: str, timeout: float | None = None) -> Prediction:
        """Until terminal or ``timeout`` seconds pass; then the prediction as it is."""
        return self._wait(prediction_id, float("inf") if timeout is None else time.monotonic() + timeout)

    def _wait(self, pid: str, deadline: float) -> Prediction:
        pause = POLL_START
        while True:
            p, applied = self._send(self._c.get_request(pid, _poll_wait_seconds(deadline)))
            if p["status"] in TERMINAL or time.monotonic() >= deadline:
                return self._c.prediction(p)
            if not applied:
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, POLL_MAX)

    def list(
        self,
        *,
        model: str | None = None,
        status: str | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
    ) -> Iterator[Page]:
        """The caller's predictions, newest first, a page at a time."""
        while True:
            j, _ = self._send(self._c.list_request(model, status, page_size, cursor))
            yield Page([self._c.prediction(p) for p in j["predictions"]], j["next_cursor"])
            cursor = j["next_cursor"]
            if cursor is None:
                return


class AsyncClient:
    """The asyncio twin of :class:`Client`, with the same options and methods (awaitable;
    ``list`` is an async iterator)."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        retries: int = 3,
        backoff: float = 0.25,
        timeout: float = 30.0,
        binary_threshold: int = 65536,
        numpy: bool | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._c = _Calls(url, api_key, retries, backoff, timeout, binary_threshold, numpy)
        self._http = http or httpx.AsyncClient()

    @property
    def url(self) -> str:
        return self._c.url

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, req: _Request) -> tuple[Any, bool]:
        attempt = 0
        while True:
            try:
                try:
                    res = await self._http.request(
                        req.method,
                        f"{self._c.url}{req.path}",
                        content=req.content,
                        headers=self._c.headers(req.headers),
                        timeout=req.timeout or self._c.timeout,
                    )
                except httpx.TransportError as e:
                    raise self._c.network_error(req, e) from e
                return self._c.read(req, res), "preference-applied" in res.headers
            except AltoError as err:
                delay = self._c.retry_delay(err, attempt)
                if delay is None:
                    raise
                await asyncio.sleep(delay)
                attempt += 1

    async def predict(
        self,
        model: str,
        inputs: Mapping[str, Any],
        *,
        wait: bool | float = False,
        timeout_ms: int | None = None,
        priority: str | None = None,
        webhook: str | None = None,
        webhook_events: Sequence[str] | None = None,
        idempotency_key: str | None = None,
        version: str | None = None,
        output_uri: str | None = None,
    ) -> Prediction:
        req, deadline = self._c.predict_request(
            model, inputs, wait, timeout_ms, priority, webhook, webhook_events, idempotency_key, version, output_uri
        )
        p, _ = await self._send(req)
        if p["status"] in TERMINAL or time.monotonic() >= deadline:
            return self._c.prediction(p)
        return await self._wait(p["id"], deadline)

    async def get(self, prediction_id: str) -> Prediction:
        return self._c.prediction((await self._send(self._c.get_request(prediction_id)))[0])

    async def cancel(self, prediction_id: str) -> Prediction:
        return self._c.prediction((await self._send(_Request("POST", f"{_id_path(prediction_id)}/cancel")))[0])

    async def wait(self, prediction_id: str, timeout: float | None = None) -> Prediction:
        return await self._wait(prediction_id, float("inf") if timeout is None else time.monotonic() + timeout)

    async def _wait(self, pid: str, deadline: float) -> Prediction:
        pause = POLL_START
        while True:
            p, applied = await self._send(self._c.get_request(pid, _poll_wait_seconds(deadline)))
            if p["status"] in TERMINAL or time.monotonic() >= deadline:
                return self._c.prediction(p)
            if not applied:
                await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, POLL_MAX)

    async def list(
        self,
        *,
        model: str | None = None,
        status: str | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
    ) -> AsyncIterator[Page]:
        while True:
            j, _ = await self._send(self._c.list_request(model, status, page_size, cursor))
            yield Page([self._c.prediction(p) for p in j["predictions"]], j["next_cursor"])
            cursor = j["next_cursor"]
            if cursor is None:
                return
