"""A minimal blocking client for the runtime's socket, for tests and scripts/device-check.sh.

The worker's real client is TypeScript; this one exists to exercise the protocol from Python.
"""

from __future__ import annotations

import socket

import numpy as np

from .protocol import decode_frame, encode_frame, read_message


class ErrorReply(Exception):
    """An error frame: `code` is one of errors.ERROR_CODES."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class Client:
    def __init__(self, path: str, timeout: float | None = 300):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.stream = self.sock.makefile("rb")
        self._next_id = 0

    def close(self) -> None:
        self.stream.close()
        self.sock.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send_raw(self, data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
        """Writes bytes as they are and reads one reply frame (for malformed-input tests)."""
        self.sock.sendall(data)
        frame = read_message(self.stream)
        if frame is None:
            raise ConnectionError("runtime closed the connection")
        return decode_frame(frame)

    def request(self, op: str, tensors: dict[str, np.ndarray] | None = None, **fields) -> tuple[dict, dict[str, np.ndarray]]:
        """Sends one op and returns the reply's header and tensors; raises ErrorReply on an error frame."""
        self._next_id += 1
        header, outputs = self.send_raw(encode_frame({"op": op, "id": self._next_id, **fields}, tensors))
        if header.get("id") != self._next_id:
            raise ConnectionError(f"reply id {header.get('id')} does not match request id {self._next_id}")
        if not header.get("ok"):
            raise ErrorReply(header["error"]["code"], header["error"]["message"])
        return header, outputs
