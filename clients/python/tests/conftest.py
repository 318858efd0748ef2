"""Fixtures of the alto_client tests. The fleet tests need the fleet test/client-python.test.ts
starts (its URLs, keys and webhook secret come in ALTO_SDK_* variables); without them they are
skipped, and that runner refuses a run with skips."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: run through `npx vitest run test/client-python.test.ts`")
    return value


@pytest.fixture(scope="session")
def fleet() -> dict[str, Any]:
    return {
        "url": _env("ALTO_SDK_URL"),
        "keys": json.loads(_env("ALTO_SDK_KEYS")),
        "secret": _env("ALTO_SDK_WEBHOOK_SECRET"),
        "drop_proxy": _env("ALTO_SDK_DROP_PROXY_URL"),
        "redisless": _env("ALTO_SDK_REDISLESS_URL"),
        "worker_pid": int(_env("ALTO_SDK_WORKER_PID")),
        "max_body": int(_env("ALTO_SDK_MAX_BODY_BYTES")),
    }


class Receiver:
    """A webhook receiver on 127.0.0.1 recording every request (path, headers, raw body)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                received.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
