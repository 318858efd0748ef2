"""A Python client of Alto's msgpack bodies, as a tpuserve-style client would write it.

Sends tiny a request whose tensor is msgpack bin (raw little-endian bytes from numpy), asks for
msgpack back, and decodes the output bin with numpy: once held open with Prefer: wait, once
submitted (202) and then read with GET /v1/predictions/{id}. Prints, as one JSON line, the
input it sent and the outputs it decoded, for the calling test to compare with onnxruntime.

Usage: python client.py GATEWAY_URL
"""

import json
import sys
import time
import urllib.request

import msgpack
import numpy as np

MSGPACK = "application/msgpack"


def call(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, res.headers.get("content-type", ""), res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("content-type", ""), err.read()


def decode_output(prediction):
    y = prediction["output"]["y"]
    assert isinstance(y["data"], bytes), f"output data is {type(y['data']).__name__}, not bin"
    assert y["datatype"] == "FP32", y["datatype"]
    return np.frombuffer(y["data"], dtype="<f4").reshape(y["shape"])


def main(base):
    x = np.random.default_rng(5).standard_normal((2, 64)).astype("<f4")
    body = msgpack.packb({"input": {"x": {"datatype": "FP32", "shape": list(x.shape), "data": x.tobytes()}}})
    headers = {"content-type": MSGPACK, "accept": MSGPACK}

    status, ctype, raw = call("POST", f"{base}/v1/models/tiny/predictions", body, {**headers, "prefer": "wait=30"})
    assert status == 200, (status, raw[:300])
    assert ctype.startswith(MSGPACK), ctype
    waited = msgpack.unpackb(raw)
    assert waited["status"] == "succeeded", waited

    status, ctype, raw = call("POST", f"{base}/v1/models/tiny/predictions", body, headers)
    assert status == 202, (status, raw[:300])
    submitted = msgpack.unpackb(raw)
    assert submitted["status"] == "queued", submitted
    deadline = time.monotonic() + 60
    while True:
        status, ctype, raw = call("GET", f"{base}/v1/predictions/{submitted['id']}", headers={"accept": MSGPACK})
        assert status == 200 and ctype.startswith(MSGPACK), (status, ctype, raw[:300])
        polled = msgpack.unpackb(raw)
        if polled["status"] in ("succeeded", "failed", "canceled", "expired"):
            break
        assert time.monotonic() < deadline, f"prediction {submitted['id']} still {polled['status']}"
        time.sleep(0.05)
    assert polled["status"] == "succeeded", polled

    # A bin that does not fit the shape: a 400 whose body stays JSON.
    short = msgpack.packb({"input": {"x": {"datatype": "FP32", "shape": [2, 64], "data": x.tobytes()[:-4]}}})
    status, ctype, raw = call("POST", f"{base}/v1/models/tiny/predictions", short, headers)
    refused = {"status": status, "content_type": ctype, "body": json.loads(raw)}

    print(
        json.dumps(
            {
                "input": x.ravel().tolist(),
                "waited": decode_output(waited).tolist(),
                "polled": decode_output(polled).tolist(),
                "refused": refused,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
