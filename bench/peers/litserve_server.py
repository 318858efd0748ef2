"""The LitServe peer: Alto's request and response bodies on Alto's predictions path, LitServe's
dynamic batching with Alto's limits for the model (max batch, max delay), one inference worker
with one intra-op thread. Environment: MODEL_PATH, MODEL, PORT, MAX_BATCH, BATCH_TIMEOUT_S, THREADS.
Prints "peer ready" when it serves.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.request

import litserve as ls

from alto_body import decode, encode, run_batch, session

MODEL = os.environ["MODEL"]
PORT = int(os.environ["PORT"])


class AltoBodyAPI(ls.LitAPI):
    def setup(self, device):
        self.session = session(os.environ["MODEL_PATH"])

    def decode_request(self, request):
        return decode(request)

    def batch(self, inputs):
        return inputs  # run_batch concatenates the rows itself

    def predict(self, batch):
        return run_batch(self.session, batch)

    def unbatch(self, output):
        return output

    def encode_response(self, output):
        return encode(output)


def announce_when_ready() -> None:
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=1) as r:
                if r.status == 200:
                    print("peer ready", flush=True)
                    return
        except OSError:
            pass
        time.sleep(0.2)


if __name__ == "__main__":
    api = AltoBodyAPI(
        max_batch_size=int(os.environ.get("MAX_BATCH", "32")),
        batch_timeout=float(os.environ.get("BATCH_TIMEOUT_S", "0")),
        api_path=f"/v1/models/{MODEL}/predictions",
    )
    server = ls.LitServer(api, accelerator="cpu", devices=1, workers_per_device=1, timeout=60)
    threading.Thread(target=announce_when_ready, daemon=True).start()
    server.run(host="127.0.0.1", port=PORT, num_api_servers=1, log_level="warning", generate_client_file=False)
