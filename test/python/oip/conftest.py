"""Fixtures of the Open Inference Protocol tests: tritonclient's HTTP and gRPC clients pointed at
a running gateway, and onnxruntime sessions of the same model files for reference outputs.

test/oip.test.ts starts the fleet and runs these with:
  ALTO_OIP_HTTP      host:port of the gateway's HTTP listener (REST at /v2)
  ALTO_OIP_GRPC      host:port of its gRPC listener (ALTO_GRPC_PORT)
  ALTO_OIP_KEYED_HTTP, ALTO_OIP_KEYED_GRPC, ALTO_OIP_KEY
                     the same for a gateway that requires the API key ALTO_OIP_KEY
  ALTO_MODELS        the model repository the worker serves (models/)
"""

import os

import numpy as np
import onnxruntime
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

PROTOCOLS = ["http", "grpc"]


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through test/oip.test.ts")
    return value


def make_client(protocol, keyed=False):
    prefix = "ALTO_OIP_KEYED_" if keyed else "ALTO_OIP_"
    if protocol == "http":
        return httpclient.InferenceServerClient(url=env(prefix + "HTTP"))
    return grpcclient.InferenceServerClient(url=env(prefix + "GRPC"))


@pytest.fixture(params=PROTOCOLS)
def protocol(request):
    return request.param


@pytest.fixture
def client(protocol):
    c = make_client(protocol)
    yield c
    c.close()


@pytest.fixture
def module(protocol):
    """The tritonclient module of the protocol: InferInput, InferRequestedOutput."""
    return httpclient if protocol == "http" else grpcclient


_sessions = {}


def reference(model, inputs):
    """Outputs of a direct onnxruntime run of models/<model>/1/model.onnx, by name."""
    if model not in _sessions:
        path = os.path.join(env("ALTO_MODELS"), model, "1", "model.onnx")
        _sessions[model] = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    session = _sessions[model]
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, inputs)))


def random_input(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)
