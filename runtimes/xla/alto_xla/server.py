"""The runtime process: serves PROTOCOL.md's ops on a Unix socket for one worker.

Run: python -m alto_xla.server --socket PATH. It prints one JSON "ready" line on stdout once
it listens. Each connection handles one request at a time; several connections may be open.
A bad request is answered with an error frame; only a broken stream closes its connection.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socketserver
import stat
import sys
import threading
import time
from pathlib import Path

from .devices import describe_devices
from .errors import RuntimeFault
from .model import LoadedModel
from .protocol import DEFAULT_MAX_FRAME_BYTES, decode_frame, encode_frame, read_message

PROTOCOL_VERSION = 1


class Registry:
    """Loaded model versions by (model, version). Loads of one key are serialised."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, str], LoadedModel] = {}
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}

    def load(self, name: str, version: str, directory: Path, buckets: list[int] | None,
             config: dict | None = None) -> tuple[LoadedModel, bool]:
        key = (name, version)
        with self._lock:
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._models:
                    return self._models[key], False
            model = LoadedModel(name, version, directory, buckets, config)
            with self._lock:
                self._models[key] = model
            return model, True

    def get(self, name: str, version: str) -> LoadedModel:
        with self._lock:
            model = self._models.get((name, version))
        if model is None:
            raise RuntimeFault("model_not_loaded", f"model '{name}' version {version} is not loaded; send 'load' first")
        return model

    def unload(self, name: str, version: str) -> bool:
        with self._lock:
            return self._models.pop((name, version), None) is not None


def _field(header: dict, key: str, kind: type, required: bool = True):
    value = header.get(key)
    if value is None and not required:
        return None
    if kind is str and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # versions are directory names; accept 3 for "3"
    if not isinstance(value, kind) or (kind is str and not value):
        raise RuntimeFault("invalid_input", f"op '{header.get('op')}': field '{key}' must be a {'non-empty string' if kind is str else kind.__name__}, got {value!r}")
    return value


def dispatch(registry: Registry, header: dict, tensors: dict) -> tuple[dict, dict]:
    """The reply header fields and tensors for one request; raises RuntimeFault on errors."""
    op = header.get("op")
    if op == "ping":
        return {"pid": os.getpid(), "protocol": PROTOCOL_VERSION}, {}
    if op == "devices":
        return describe_devices(), {}
    if op == "load":
        name, version = _field(header, "model", str), _field(header, "version", str)
        directory = Path(_field(header, "dir", str))
        buckets = _field(header, "buckets", list, required=False)
        config = _field(header, "config", dict, required=False)
        model, fresh = registry.load(name, version, directory, buckets, config)
        log("loaded" if fresh else "already_loaded", model=name, version=version, compile_ms=model.compile_ms)
        return {**model.metadata(), "already_loaded": not fresh}, {}
    if op == "run":
        model = registry.get(_field(header, "model", str), _field(header, "version", str))
        started = time.perf_counter()
        outputs, buckets = model.run(tensors)
        run_ms = round((time.perf_counter() - started) * 1000, 3)
        return {"request_id": header.get("request_id"), "run_ms": run_ms, "buckets": buckets}, outputs
    if op == "unload":
        return {"unloaded": registry.unload(_field(header, "model", str), _field(header, "version", str))}, {}
    raise RuntimeFault("unknown_op", f"op must be one of ping, devices, load, run, unload; got {op!r}")


def log(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), file=sys.stderr, flush=True)


class Handler(socketserver.StreamRequestHandler):
    server: "RuntimeServer"

    def handle(self) -> None:
        while True:
            try:
                frame = read_message(self.rfile, self.server.max_frame_bytes)
            except RuntimeFault as fault:
                # The stream is out of step (oversized or truncated message): say why, then close.
                self._reply({"op": None, "id": None}, fault=fault)
                return
            if frame is None:
                return
            request: dict = {}
            try:
                request, tensors = decode_frame(frame)
                reply, outputs = dispatch(self.server.registry, request, tensors)
                self._reply(request, reply, outputs)
            except RuntimeFault as fault:
                self._reply(request, fault=fault)
            except Exception as e:  # noqa: BLE001 — a bug answers 'internal'; the server keeps serving
                self._reply(request, fault=RuntimeFault("internal", f"{type(e).__name__}: {e}"))

    def _reply(self, request: dict, fields: dict | None = None, tensors: dict | None = None, fault: RuntimeFault | None = None) -> None:
        header = {"op": request.get("op"), "id": request.get("id")}
        if fault is None:
            header.update(ok=True, **(fields or {}))
        else:
            header.update(ok=False, error={"code": fault.code, "message": fault.message})
        try:
            data = encode_frame(header, tensors)
        except RuntimeFault as f:
            data = encode_frame({**header, "ok": False, "error": {"code": f.code, "message": f.message}})
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


class RuntimeServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES):
        self.registry = Registry()
        self.max_frame_bytes = max_frame_bytes
        _remove_stale_socket(path)
        super().__init__(path, Handler)


def _remove_stale_socket(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise SystemExit(f"--socket {path}: exists and is not a socket; refusing to replace it")
    os.unlink(path)


def watch_parent(parent: int, socket_path: str, interval: float = 0.5) -> None:
    """Exits once `parent` stops being our parent: a SIGKILLed worker cannot stop its runtime,
    and an orphaned runtime would keep its devices and memory forever. Exits at once rather
    than shutting down in order: nobody is left to answer, and stderr (a pipe to the dead
    worker) may no longer be writable."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        try:
            log("stopping", reason=f"parent process {parent} is gone")
        except (OSError, ValueError):
            pass
        try:
            os.unlink(socket_path)
        except OSError:
            pass
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m alto_xla.server", description=__doc__)
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    parser.add_argument("--max-frame-bytes", type=int, default=DEFAULT_MAX_FRAME_BYTES)
    parser.add_argument("--compile-cache", help="directory for JAX's persistent compilation cache (survives restarts)")
    parser.add_argument("--parent-pid", type=int,
                        help="exit once this process is no longer our parent (the worker died, even by SIGKILL)")
    args = parser.parse_args(argv)
    if args.compile_cache:
        import jax

        jax.config.update("jax_compilation_cache_dir", args.compile_cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    devices = describe_devices()  # initialises the PJRT client now, so a broken plugin fails before "ready"
    server = RuntimeServer(args.socket, args.max_frame_bytes)

    def stop(signum, _frame):
        log("stopping", signal=signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.parent_pid is not None:
        watch_parent(args.parent_pid, args.socket)
    print(json.dumps({"event": "ready", "socket": args.socket, "pid": os.getpid(), "protocol": PROTOCOL_VERSION,
                      "kind": devices["kind"], "count": devices["count"]}), flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        try:
            os.unlink(args.socket)
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
