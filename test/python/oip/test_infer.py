"""Inference through tritonclient over REST and gRPC: outputs equal a direct onnxruntime run of
the same model file, with JSON and binary tensors; bad requests raise clean client exceptions."""

import grpc
import numpy as np
import pytest
from conftest import env, random_input, reference
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

TEXTDIR_OUT = "softmax_0.tmp_0"


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def make_input(module, name, array, binary):
    i = module.InferInput(name, list(array.shape), "FP32")
    if module.__name__.endswith("http"):
        i.set_data_from_numpy(array, binary_data=binary)
    else:
        i.set_data_from_numpy(array)
    return i


def requested(module, name, binary):
    if module.__name__.endswith("http"):
        return module.InferRequestedOutput(name, binary_data=binary)
    return module.InferRequestedOutput(name)


def field(result, protocol, name):
    r = result.get_response()
    return r[name] if protocol == "http" else getattr(r, name)


@pytest.mark.parametrize("batch", [1, 3])
def test_textdir_binary_in_and_out_equals_onnxruntime(client, module, batch):
    x = random_input((batch, 3, 48, 192), seed=batch)
    result = client.infer("textdir", [make_input(module, "x", x, binary=True)])
    out = result.as_numpy(TEXTDIR_OUT)
    assert out.shape == (batch, 2)
    close(out, reference("textdir", {"x": x})[TEXTDIR_OUT])


def test_tiny_json_in_and_out_equals_onnxruntime_and_echoes_the_id(client, module, protocol):
    x = random_input((2, 64), seed=7)
    result = client.infer(
        "tiny",
        [make_input(module, "x", x, binary=False)],
        outputs=[requested(module, "y", binary=False)],
        request_id="req-42",
    )
    if protocol == "http":
        # Asked for as JSON: the values came as `data`, not as binary bytes.
        assert "data" in result.get_output("y")
    close(result.as_numpy("y"), reference("tiny", {"x": x})["y"])
    assert field(result, protocol, "id") == "req-42"


def test_tiny_pinned_version_with_binary_output(client, module, protocol):
    x = random_input((4, 64), seed=11)
    result = client.infer(
        "tiny", [make_input(module, "x", x, binary=True)], model_version="1", outputs=[requested(module, "y", True)]
    )
    assert field(result, protocol, "model_name") == "tiny"
    assert field(result, protocol, "model_version") == "1"
    close(result.as_numpy("y"), reference("tiny", {"x": x})["y"])


def test_grpc_typed_contents_equal_onnxruntime():
    """fp32_contents instead of raw_input_contents, through tritonclient's own generated stubs."""
    x = random_input((2, 64), seed=5)
    with grpc.insecure_channel(env("ALTO_OIP_GRPC")) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        request = service_pb2.ModelInferRequest(model_name="tiny", id="typed")
        tensor = request.inputs.add(name="x", datatype="FP32", shape=[2, 64])
        tensor.contents.fp32_contents.extend(x.flatten().tolist())
        response = stub.ModelInfer(request)
    assert response.id == "typed"
    assert [o.name for o in response.outputs] == ["y"]
    out = np.frombuffer(response.raw_output_contents[0], dtype=np.float32).reshape(list(response.outputs[0].shape))
    close(out, reference("tiny", {"x": x})["y"])


def test_unknown_model_raises_a_clean_client_exception(client, module, protocol):
    x = random_input((1, 64), seed=1)
    with pytest.raises(InferenceServerException) as e:
        client.infer("no-such-model", [make_input(module, "x", x, binary=True)])
    assert "model 'no-such-model' is not published" in e.value.message()
    assert e.value.status() == ("404" if protocol == "http" else "StatusCode.NOT_FOUND")


@pytest.mark.parametrize("binary", [True, False])
def test_wrong_shape_raises_a_clean_client_exception(client, module, protocol, binary):
    x = random_input((2, 63), seed=2)
    with pytest.raises(InferenceServerException) as e:
        client.infer("tiny", [make_input(module, "x", x, binary=binary)])
    assert e.value.message() == "input 'x': expected shape [-1,64], got [2,63]"
    assert e.value.status() == ("400" if protocol == "http" else "StatusCode.INVALID_ARGUMENT")


def test_unknown_output_raises_a_clean_client_exception(client, module):
    x = random_input((1, 64), seed=3)
    with pytest.raises(InferenceServerException) as e:
        client.infer("tiny", [make_input(module, "x", x, binary=True)], outputs=[requested(module, "z", True)])
    assert e.value.message() == "output 'z': model 'tiny' has no such output; its outputs are y"


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_compressed_requests_equal_onnxruntime(client, module, protocol, algorithm):
    x = random_input((2, 3, 48, 192), seed=13)
    inputs = [make_input(module, "x", x, binary=True)]
    if protocol == "http":
        result = client.infer("textdir", inputs, request_compression_algorithm=algorithm)
    else:
        result = client.infer("textdir", inputs, compression_algorithm=algorithm)
    close(result.as_numpy(TEXTDIR_OUT), reference("textdir", {"x": x})[TEXTDIR_OUT])
