"""The Ray Serve peer: Alto's request and response bodies on Alto's predictions path, one replica
with @serve.batch at Alto's limits for the model, one intra-op thread. Environment: MODEL_PATH,
MODEL, PORT, MAX_BATCH, BATCH_TIMEOUT_S, THREADS. Prints "peer ready" when it serves.
"""

from __future__ import annotations

import os
import signal
import threading

import ray
from ray import serve
from starlette.requests import Request
from starlette.responses import JSONResponse

from alto_body import decode, encode, run_batch, session

MODEL = os.environ["MODEL"]
PORT = int(os.environ["PORT"])
MAX_BATCH = int(os.environ.get("MAX_BATCH", "32"))
# Ray's batch_wait_timeout_s of 0 still gathers what is queued: the same policy as Alto's
# max_queue_delay_ms 0 and LitServe's batch_timeout 0.
TIMEOUT = float(os.environ.get("BATCH_TIMEOUT_S", "0"))


@serve.deployment(num_replicas=1, max_ongoing_requests=1024, ray_actor_options={"num_cpus": 0})
class AltoBody:
    def __init__(self):
        self.session = session(os.environ["MODEL_PATH"])

    @serve.batch(max_batch_size=MAX_BATCH, batch_wait_timeout_s=TIMEOUT)
    async def infer(self, requests: list[dict]) -> list[dict]:
        return [encode(o) for o in run_batch(self.session, requests)]

    async def __call__(self, request: Request):
        return JSONResponse(await self.infer(decode(await request.json())))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": here, "THREADS": os.environ.get("THREADS", "1"),
                                       "MODEL_PATH": os.environ["MODEL_PATH"]}})
    serve.start(http_options={"host": "127.0.0.1", "port": PORT})
    serve.run(AltoBody.bind(), route_prefix=f"/v1/models/{MODEL}/predictions", blocking=False)
    print("peer ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    serve.shutdown()
    ray.shutdown()
