"""API keys and Idempotency-Key on the Open Inference Protocol, as on Alto's API, through
tritonclient's headers (HTTP headers, gRPC metadata)."""

import uuid

import pytest
from conftest import env, make_client, random_input
from tritonclient.utils import InferenceServerException


def tiny_input(module, protocol, seed):
    x = random_input((1, 64), seed=seed)
    i = module.InferInput("x", [1, 64], "FP32")
    i.set_data_from_numpy(x)
    return i


def prediction_id(result, protocol):
    r = result.get_response()
    if protocol == "http":
        return r["parameters"]["prediction_id"]
    return r.parameters["prediction_id"].string_param


@pytest.fixture
def keyed(protocol):
    c = make_client(protocol, keyed=True)
    yield c
    c.close()


def test_infer_without_a_key_is_refused(keyed, module, protocol):
    with pytest.raises(InferenceServerException) as e:
        keyed.infer("tiny", [tiny_input(module, protocol, 1)])
    assert "expected 'Bearer <API key>', got none" in e.value.message()
    assert e.value.status() == ("401" if protocol == "http" else "StatusCode.UNAUTHENTICATED")


def test_infer_with_a_wrong_key_is_refused(keyed, module, protocol):
    with pytest.raises(InferenceServerException) as e:
        keyed.infer("tiny", [tiny_input(module, protocol, 1)], headers={"authorization": "Bearer wrong-key-0123456789"})
    assert "the API key is not valid" in e.value.message()


def test_infer_with_the_key_succeeds_and_health_needs_none(keyed, module, protocol):
    assert keyed.is_server_ready()
    assert keyed.is_model_ready("tiny")
    result = keyed.infer(
        "tiny", [tiny_input(module, protocol, 2)], headers={"authorization": f"Bearer {env('ALTO_OIP_KEY')}"}
    )
    assert result.as_numpy("y").shape == (1, 10)


def test_an_idempotency_key_replays_the_first_prediction(client, module, protocol):
    key = f"oip-{protocol}-{uuid.uuid4()}"
    first = client.infer("tiny", [tiny_input(module, protocol, 3)], headers={"idempotency-key": key})
    again = client.infer("tiny", [tiny_input(module, protocol, 3)], headers={"idempotency-key": key})
    assert prediction_id(again, protocol) == prediction_id(first, protocol)
    assert (again.as_numpy("y") == first.as_numpy("y")).all()
    with pytest.raises(InferenceServerException) as e:
        client.infer("tiny", [tiny_input(module, protocol, 4)], headers={"idempotency-key": key})
    assert e.value.status() == ("422" if protocol == "http" else "StatusCode.FAILED_PRECONDITION")
